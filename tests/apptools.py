"""Helpers for the web app tests: a small questionnaire that exercises every item type and the skip logic, and
a campaign with invitations built through the same domain functions the CLI uses.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from questionnaires.bundled import load_bundled_profile
from questionnaires.model import Questionnaire
from survey_app.domain.campaigns import create_campaign
from survey_app.domain.institutions import import_units
from survey_app.domain.invitations import issue_invitations
from survey_app.domain.questionnaires import store_questionnaire
from survey_app.extensions import db
from survey_app.models import Campaign, Draft
from survey_app.tokens import token_hash


def _t(idn: str, en: str) -> dict[str, str]:
    return {"id": idn, "en": en}


MINI: dict[str, Any] = {
    "id": "mini",
    "version": "1",
    "title": _t("Survei mini", "Mini survey"),
    "group": "internal",
    "languages": ["id", "en"],
    "introduction": _t("Pengantar **penting**.", "An **important** introduction."),
    "consent": _t("Saya setuju.", "I agree."),
    "special_codes": {"dont_know": "dk"},
    "scales": {
        "yn": {
            "id": "yn",
            "kind": "nominal",
            "options": [
                {"code": "ya", "label": _t("Ya", "Yes"), "value": 1},
                {"code": "tidak", "label": _t("Tidak", "No"), "value": 0},
                {"code": "dk", "label": _t("Tidak tahu", "Don't know"), "missing": "dont_know"},
            ],
        },
        "kinds": {
            "id": "kinds",
            "kind": "nominal",
            "options": [
                {"code": "uang", "label": _t("Uang", "Money")},
                {"code": "barang", "label": _t("Barang", "Goods")},
                {"code": "dk", "label": _t("Tidak tahu", "Don't know"), "missing": "dont_know"},
            ],
        },
    },
    "sections": [
        {
            "id": "s1",
            "title": _t("Pengalaman", "Experience"),
            "description": _t("Deskripsi s1", "Description of s1"),
            "items": [
                {
                    "id": "q_yes",
                    "type": "select_one",
                    "scale": "yn",
                    "label": _t("Pernah melihat?", "Ever seen?"),
                },
                {
                    "id": "q_kind",
                    "type": "select_multiple",
                    "scale": "kinds",
                    "label": _t("Bentuknya?", "What kind?"),
                    "relevant": "${q_yes} = 'ya'",
                },
                {
                    "id": "q_count",
                    "type": "integer",
                    "label": _t("Berapa orang?", "How many people?"),
                    "hint": _t("Angka 0–100", "A number 0–100"),
                    "minimum": 0,
                    "maximum": 100,
                    "constraint": ". <= 60",
                    "constraint_message": _t("Paling banyak 60.", "At most 60."),
                },
            ],
        },
        {
            "id": "s2",
            "title": _t("Lainnya", "Other"),
            "items": [
                {"id": "q_share", "type": "decimal", "label": _t("Porsi?", "Share?"), "required": False},
                {"id": "q_name", "type": "text", "label": _t("Jabatan?", "Position?"), "required": False},
                {"id": "q_note", "type": "note", "label": _t("Catatan <b>tebal</b>", "A <b>note</b>")},
                {
                    "id": "q_long",
                    "type": "long_text",
                    "label": _t("Saran?", "Suggestions?"),
                    "required": False,
                },
            ],
        },
        {
            "id": "s3",
            "title": _t("Alasan", "Reasons"),
            "relevant": "${q_yes} = 'tidak'",
            "items": [{"id": "q_why", "type": "text", "label": _t("Mengapa tidak?", "Why not?")}],
        },
    ],
}


@dataclass
class Survey:
    app: Flask
    campaign: Campaign
    unit_codes: tuple[str, ...]

    def issue(
        self, count: int = 1, group: str = "internal", unit: str | None = None, **kwargs: Any
    ) -> list[str]:
        tokens = issue_invitations(self.campaign, group, unit or self.unit_codes[0], count, **kwargs)
        db.session.commit()
        return tokens

    def token(self, **kwargs: Any) -> str:
        return self.issue(1, **kwargs)[0]


def build_survey(
    app: Flask,
    questionnaires: Mapping[str, Questionnaire],
    *,
    slug: str = "kota-2025",
    opens_on: date | None = None,
    closes_on: date | None = None,
    status: str = "open",
    allow_open: bool | None = None,
    release_batch: int | None = 1,
) -> Survey:
    """``allow_open`` defaults to open access where a questionnaire declares it (the external group)."""
    today = date.today()
    import_units(
        io.StringIO(
            "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
            "KOTA,Pemerintah Kota Uji,SETDA,Sekretariat Daerah,,120\n"
            "KOTA,Pemerintah Kota Uji,DINKES,Dinas Kesehatan,SETDA,300\n"
        )
    )
    versions = {g: store_questionnaire(q, today)[0] for g, q in questionnaires.items()}
    campaign = create_campaign(
        institution_code="KOTA",
        title="SPI Kota Uji",
        organiser="Inspektorat Kota Uji",
        slug=slug,
        period="2025",
        profile=load_bundled_profile("spi-2024"),
        versions=versions,
        opens_on=opens_on or today - timedelta(days=1),
        closes_on=closes_on or today + timedelta(days=30),
        status=status,
        allow_open=(
            any(q.allows_open_access for q in questionnaires.values()) if allow_open is None else allow_open
        ),
        # Each response released at once, so the tests of the flow find it in ``responses``; the tests of
        # the sealed holding area (tests/respondent/test_sealed_release.py) use the default batch.
        release_batch=release_batch,
    )
    db.session.commit()
    return Survey(app, campaign, ("SETDA", "DINKES"))


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def post_form(client: FlaskClient, url: str, data: Mapping[str, Any], **kwargs: Any) -> Any:
    """GET ``url`` for its CSRF token, then POST ``data`` to it (as a browser does)."""
    page = client.get(url, **kwargs)
    token = csrf_of(page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


Poster = Callable[..., Any]


def add_draft(survey: Survey, key: str, moment: datetime) -> Draft:
    """An empty draft of the survey's first group, started and last saved at ``moment`` (not committed)."""
    link = survey.campaign.questionnaires[0]
    draft = Draft(
        key=key,
        campaign_id=survey.campaign.id,
        questionnaire_version_id=link.questionnaire_version_id,
        respondent_group=link.respondent_group,
        answers={},
        current_page="s1",
        started_at=moment,
        updated_at=moment,
    )
    db.session.add(draft)
    return draft


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """``app`` on a real HTTP server on a free loopback port (its base URL); the engine disposed after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


def prepared_drafts(survey: Survey, count: int, answers: Mapping[str, Any]) -> list[str]:
    """``count`` invitations of the survey's first group whose drafts hold ``answers`` and rest on the
    last page (``s2`` of :data:`MINI`), ready for their final submit; committed."""
    tokens = survey.issue(count)
    link = survey.campaign.questionnaires[0]
    now = datetime.now(UTC)
    for token in tokens:
        db.session.add(
            Draft(
                key=token_hash(token),
                campaign_id=survey.campaign.id,
                questionnaire_version_id=link.questionnaire_version_id,
                respondent_group=link.respondent_group,
                answers=dict(answers),
                current_page="s2",
                started_at=now,
                updated_at=now,
            )
        )
    db.session.commit()
    return tokens
