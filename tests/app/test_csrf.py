"""CSRF without ``Referer``: the session-bound token, plus the ``Origin`` check of :mod:`survey_app.csrf`.

Each forged request here carries a valid session and token (the attacker's best case), so only the origin
check can refuse it.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Draft
from tests.admin.admintools import PASSWORD, make_user
from tests.apptools import Survey, csrf_of

HTTPS = "https://survei.example.go.id"


def _drafts() -> int:
    return db.session.scalar(select(func.count()).select_from(Draft)) or 0


def _consent(client: FlaskClient, token: str, base: str = "http://localhost", **headers: str) -> int:
    intro = client.get(f"/r/{token}", base_url=base)
    data = {"csrf_token": csrf_of(intro.get_data(as_text=True)), "consent": "y"}
    return client.post(f"/r/{token}", data=data, base_url=base, headers=headers).status_code


def _login(client: FlaskClient, base: str = "http://localhost", **headers: str) -> int:
    page = client.get("/admin/login", base_url=base)
    data = {"csrf_token": csrf_of(page.get_data(as_text=True)), "email": "admin@example.org"}
    data["password"] = PASSWORD
    return client.post("/admin/login", data=data, base_url=base, headers=headers).status_code


def test_consent_over_https_without_referer_is_accepted(client: FlaskClient, survey: Survey) -> None:
    # What every browser did and got 400 for: HTTPS, no Referer (no-referrer), Origin null.
    assert _consent(client, survey.token(), HTTPS, Origin="null") == 303
    assert _drafts() == 1


def test_consent_from_its_own_origin_is_accepted(client: FlaskClient, survey: Survey) -> None:
    assert _consent(client, survey.token(), HTTPS, Origin=HTTPS) == 303
    assert _drafts() == 1


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "https://survei.example.go.id.evil.example", "http://survei.example.go.id"],
)
def test_consent_from_another_origin_is_refused(client: FlaskClient, survey: Survey, origin: str) -> None:
    assert _consent(client, survey.token(), HTTPS, Origin=origin) == 400
    assert _drafts() == 0


def test_other_scheme_same_host_names_the_proxy_setting(
    client: FlaskClient, survey: Survey, caplog: pytest.LogCaptureFixture
) -> None:
    # nginx terminates TLS but TRUSTED_PROXY_COUNT is 0: the app sees http, the browser says https.
    with caplog.at_level(logging.WARNING):
        assert _consent(client, survey.token(), "http://localhost", Origin="https://localhost") == 400
    assert "TRUSTED_PROXY_COUNT" in caplog.text


def test_console_login_needs_its_origin(app: Flask, client: FlaskClient) -> None:
    make_user("admin")
    # A console page is same-origin, so a browser names the origin; "null" there is a forgery.
    assert _login(client, HTTPS, Origin="null") == 400
    assert _login(client, HTTPS, Origin="https://evil.example") == 400
    assert _login(client, HTTPS, Origin=HTTPS) == 302
    assert client.get("/admin/", base_url=HTTPS).status_code == 200


def test_public_base_url_origin_is_accepted(app: Flask, client: FlaskClient) -> None:
    make_user("admin")
    app.config["PUBLIC_BASE_URL"] = "https://survei.example.go.id/"
    assert _login(client, "http://127.0.0.1:8000", Origin=HTTPS) == 302


def test_without_origin_the_token_still_decides(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    assert client.post(f"/r/{token}", data={"consent": "y"}, base_url=HTTPS).status_code == 400
    assert _consent(client, token, HTTPS) == 303


def test_referrer_policy_per_page(client: FlaskClient, survey: Survey) -> None:
    for path, policy in ((f"/r/{survey.token()}", "no-referrer"), ("/admin/login", "same-origin")):
        reply = client.get(path)
        assert reply.headers["Referrer-Policy"] == policy
        assert f'<meta name="referrer" content="{policy}">' in reply.get_data(as_text=True)
