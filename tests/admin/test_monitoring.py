"""The campaign's monitoring table: every unit from the start, the institution-wide open link's answers on a
row of their own, groups named in words."""

from __future__ import annotations

import re
import uuid
from datetime import date

from flask.testing import FlaskClient

from survey_app.extensions import db
from survey_app.models import Response
from tests.admin.admintools import login, make_user
from tests.apptools import Survey


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in body.split("<tr>")[1:]]


def test_every_unit_is_listed_before_any_invitation(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    rows = _rows(client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=en").get_data(as_text=True))
    # Two units × three groups, employees first in each unit.
    assert len(rows) == 6
    assert rows[0].startswith("DINKES Dinas Kesehatan Employees (internal)")
    assert [r.split(" ", 1)[0] for r in rows] == ["DINKES"] * 3 + ["SETDA"] * 3


def test_an_institution_wide_open_answer_has_a_named_row(client: FlaskClient, spi: Survey) -> None:
    version = next(q for q in spi.campaign.questionnaires if q.respondent_group == "external")
    db.session.add(
        Response(
            id=uuid.uuid4(),
            campaign_id=spi.campaign.id,
            questionnaire_version_id=version.questionnaire_version_id,
            respondent_group="external",
            unit_id=None,
            stratum=None,
            weight=1.0,
            open_access=True,
            answers={},
            duration_seconds=600,
            submitted_on=date.today(),
        )
    )
    db.session.commit()
    make_user("admin")
    login(client, "admin@example.org")
    rows = _rows(client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=en").get_data(as_text=True))
    assert rows[-1].startswith("Whole institution (open link without a unit) Service users (external)")
    assert all(not r.startswith(("Employees", "Service", "Experts")) for r in rows)  # no blank unit cell


def test_the_invitation_form_offers_employees_first(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    html = client.get(f"/admin/campaigns/{spi.campaign.slug}/invitations/?lang=en").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(internal|external|expert)"[^>]*>([^<]*)', html)
    assert options[0] == ("internal", "Employees (internal)")
    assert "selected" not in html.split('id="issue-group"', 1)[1].split("</select>", 1)[0]
