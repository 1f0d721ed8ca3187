"""Open links for service users: answered once per browser, rate limited, marked as open access."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db, limiter
from survey_app.models import Response, Unit
from tests.apptools import Survey, build_survey, csrf_of
from tests.conftest import make_app


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
    _complete(client, f"/c/{slug}/internal/DINKES")
    (response,) = db.session.scalars(select(Response))
    assert response.open_access is True
    assert response.weight == 1.0
    assert response.unit_id == db.session.scalar(select(Unit.id).where(Unit.code == "DINKES"))
    assert response.answers == {"q_yes": "tidak", "q_count": 4, "q_why": "Tidak pernah"}

    again = client.get(f"/c/{slug}/internal")
    assert again.status_code == 403
    assert "sudah menjawab" in again.get_data(as_text=True)


def test_open_access_unit_from_query_and_a_second_browser(app: Flask, survey: Survey) -> None:
    slug = survey.campaign.slug
    _complete(app.test_client(), f"/c/{slug}/internal?unit=SETDA")
    _complete(app.test_client(), f"/c/{slug}/internal")
    units = sorted(str(r.unit_id) for r in db.session.scalars(select(Response)))
    setda = db.session.scalar(select(Unit.id).where(Unit.code == "SETDA"))
    assert units == sorted([str(setda), "None"])


def test_open_access_refuses_unknown_things(app: Flask, client: FlaskClient, mini) -> None:  # type: ignore[no-untyped-def]
    survey = build_survey(app, {"internal": mini})
    slug = survey.campaign.slug
    assert client.get(f"/c/{slug}/internal/NOPE").status_code == 404
    assert client.get(f"/c/{slug}/expert").status_code == 404
    assert client.get("/c/nope/internal").status_code == 404
    closed = build_survey(app, {"internal": mini}, slug="invite-only", allow_open=False)
    assert client.get(f"/c/{closed.campaign.slug}/internal").status_code == 404


def test_open_access_starts_are_rate_limited(
    database: str, tmp_path: Path, app: Flask, survey: Survey
) -> None:
    limited = make_app(
        database, tmp_path / "limited", RATELIMIT_ENABLED=True, OPEN_ACCESS_RATE_LIMIT="2/minute"
    )
    limiter.reset()
    url = f"/c/{survey.campaign.slug}/internal"
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
