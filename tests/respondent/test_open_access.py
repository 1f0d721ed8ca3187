"""Open links for service users: answered once per browser, rate limited, marked as open access."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.model import Questionnaire
from survey_app.extensions import db, limiter
from survey_app.models import Response, Unit
from tests.apptools import MINI, Survey, build_survey, csrf_of
from tests.conftest import make_app


@pytest.fixture(scope="module")
def mini_external() -> Questionnaire:
    """The small questionnaire for service users: the external group declares open access by default."""
    return Questionnaire.from_dict({**MINI, "id": "mini-external", "group": "external"})


@pytest.fixture
def survey(app: Flask, mini_external: Questionnaire) -> Survey:
    # Open links reach the external group only (an internal one is tested below), so these tests use it.
    return build_survey(app, {"external": mini_external})


def _complete(client: FlaskClient, start: str) -> None:
    intro = client.get(start)
    assert intro.status_code == 200
    reply = client.post(start, data={"csrf_token": csrf_of(intro.get_data(as_text=True)), "consent": "y"})
    url = reply.headers["Location"]
    for data in ({"q_yes": "tidak"}, {"q_count": "4"}, {}, {"q_why": "Tidak pernah"}):
        page = client.get(url)
        reply = client.post(
            url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "action": "next", **data}
        )
        assert reply.status_code == 303, reply.get_data(as_text=True)[:1000]
        url = reply.headers["Location"]
    assert url.endswith("/thanks")


def test_open_access_response_is_marked_and_once_per_browser(client: FlaskClient, survey: Survey) -> None:
    slug = survey.campaign.slug
    _complete(client, f"/c/{slug}/external/DINKES")
    (response,) = db.session.scalars(select(Response))
    assert response.open_access is True
    assert response.weight == 1.0
    assert response.unit_id == db.session.scalar(select(Unit.id).where(Unit.code == "DINKES"))
    assert response.answers == {"q_yes": "tidak", "q_count": 4, "q_why": "Tidak pernah"}

    again = client.get(f"/c/{slug}/external")
    assert again.status_code == 403
    assert "sudah menjawab" in again.get_data(as_text=True)


def test_open_access_unit_from_query_and_a_second_browser(app: Flask, survey: Survey) -> None:
    slug = survey.campaign.slug
    _complete(app.test_client(), f"/c/{slug}/external?unit=SETDA")
    _complete(app.test_client(), f"/c/{slug}/external")
    units = sorted(str(r.unit_id) for r in db.session.scalars(select(Response)))
    setda = db.session.scalar(select(Unit.id).where(Unit.code == "SETDA"))
    assert units == sorted([str(setda), "None"])


def test_open_access_refuses_unknown_things(
    app: Flask, client: FlaskClient, mini_external: Questionnaire
) -> None:
    survey = build_survey(app, {"external": mini_external})
    slug = survey.campaign.slug
    assert client.get(f"/c/{slug}/external/NOPE").status_code == 404
    assert client.get(f"/c/{slug}/expert").status_code == 404
    assert client.get("/c/nope/external").status_code == 404
    closed = build_survey(app, {"external": mini_external}, slug="invite-only", allow_open=False)
    assert client.get(f"/c/{closed.campaign.slug}/external").status_code == 404


def test_an_internal_open_link_answers_404(
    app: Flask, client: FlaskClient, mini: Questionnaire, mini_external: Questionnaire
) -> None:
    """Employees answer through invitations only: an open link would let anyone count as an employee."""
    survey = build_survey(app, {"internal": mini, "external": mini_external}, allow_open=True)
    slug = survey.campaign.slug
    assert client.get(f"/c/{slug}/external").status_code == 200
    for url in (f"/c/{slug}/internal", f"/c/{slug}/internal/SETDA", f"/c/{slug}/internal?unit=DINKES"):
        assert client.get(url).status_code == 404, url
    page = client.get(f"/c/{slug}/external")
    refused = client.post(
        f"/c/{slug}/internal", data={"csrf_token": csrf_of(page.get_data(as_text=True)), "consent": "y"}
    )
    assert refused.status_code == 404
    assert db.session.scalars(select(Response)).all() == []


def test_an_internal_questionnaire_may_declare_open_access(app: Flask, client: FlaskClient) -> None:
    declared = Questionnaire.from_dict({**MINI, "id": "mini-open", "access": ["invitation", "open"]})
    survey = build_survey(app, {"internal": declared})
    assert survey.campaign.allow_open
    assert client.get(f"/c/{survey.campaign.slug}/internal").status_code == 200


def test_open_access_starts_are_rate_limited(
    database: str, tmp_path: Path, app: Flask, survey: Survey
) -> None:
    limited = make_app(
        database, tmp_path / "limited", RATELIMIT_ENABLED=True, OPEN_ACCESS_RATE_LIMIT="2/minute"
    )
    limiter.reset()
    url = f"/c/{survey.campaign.slug}/external"
    codes = []
    for _ in range(3):
        browser = limited.test_client()
        page = browser.get(url)
        codes.append(
            browser.post(
                url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "consent": "y"}
            ).status_code
        )
    assert codes == [303, 303, 429]
    limiter.reset()
