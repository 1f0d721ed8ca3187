"""The console's API token page: create (shown once), list, revoke; own tokens, admins' scope; audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import ApiToken, AuditEntry
from tests.admin.admintools import login, make_user
from tests.api.apitools import get, issue_token
from tests.apptools import Survey, csrf_of, post_form

PAGE = "/admin/api-tokens/"


def _created_token(html: str) -> str:
    found = re.search(r'<code class="token" id="new-token">([^<]+)</code>', html)
    assert found, "the new token is not on the page"
    return found.group(1)


def _revoke(client: FlaskClient, token_id: int) -> object:
    token = csrf_of(client.get(PAGE).get_data(as_text=True))
    # The confirmation page first: posting without its box ticked revokes nothing.
    asked = client.post(f"{PAGE}{token_id}/revoke", data={"csrf_token": token})
    assert asked.status_code in (400, 404, 302)
    if asked.status_code == 400:
        assert db.session.get(ApiToken, token_id).revoked_at is None  # type: ignore[union-attr]
    return client.post(f"{PAGE}{token_id}/revoke", data={"csrf_token": token, "confirm": "y"})


def test_create_shows_the_token_once_and_it_works(client: FlaskClient, spi: Survey) -> None:
    user = make_user("viewer", ["KOTA"])
    login(client, user.email)
    client.get("/admin/?lang=en")  # messages checked in English
    page = client.get(PAGE)
    assert page.status_code == 200
    response = post_form(client, PAGE, {"name": "dashboard", "expires_on": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = _created_token(html)
    assert response.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row is not None
    assert row.name == "dashboard"
    assert row.expires_at is None
    assert secret not in row.token_hash
    assert secret not in client.get(PAGE).get_data(as_text=True)  # shown once
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert entry is not None
    assert entry.target == f"api_token:{row.id}"
    assert secret not in str(entry.details)
    assert secret not in entry.target
    listed = get(client, "/api/v1/campaigns", secret)
    assert listed.status_code == 200
    assert [c["slug"] for c in listed.get_json()["campaigns"]] == [spi.campaign.slug]


def test_expiry_date_is_valid_through_that_day(client: FlaskClient, spi: Survey) -> None:
    user = make_user("analyst", ["KOTA"])
    login(client, user.email)
    client.get("/admin/?lang=en")  # messages checked in English
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    post_form(client, PAGE, {"name": "short", "expires_on": tomorrow.isoformat()})
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row is not None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)  # type: ignore[union-attr]
    assert expires == datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), UTC)


def test_bad_input_says_what_is_wrong(client: FlaskClient, spi: Survey) -> None:
    login(client, make_user("viewer", ["KOTA"]).email)
    client.get("/admin/?lang=en")  # messages checked in English
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    far = (datetime.now(UTC).date() + timedelta(days=3 * 365)).isoformat()
    for data, message in (
        ({"name": "  ", "expires_on": ""}, "This field is required."),
        ({"name": "x" * 101, "expires_on": ""}, "longer than 100"),
        ({"name": "ok", "expires_on": yesterday}, "The date is in the past."),
        ({"name": "ok", "expires_on": far}, "At most"),
        ({"name": "ok", "expires_on": "31/12/2030"}, "Not a valid date value."),
    ):
        response = post_form(client, PAGE, data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert db.session.scalar(select(ApiToken.id)) is None
    assert client.post(PAGE, data={"name": "no csrf"}).status_code == 400


def test_revoke_own_token_ends_api_access(client: FlaskClient, spi: Survey) -> None:
    user = make_user("analyst", ["KOTA"])
    secret = issue_token(user)
    login(client, user.email)
    client.get("/admin/?lang=en")  # messages checked in English
    assert secret not in client.get(PAGE).get_data(as_text=True)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row is not None
    assert _revoke(client, row.id).status_code == 302  # type: ignore[attr-defined]
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert get(client, "/api/v1/campaigns", secret).status_code == 401
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke"))
    assert entry is not None
    assert entry.details == {"name": "test", "owner": user.email}
    assert "revoked" in client.get(PAGE).get_data(as_text=True)


def test_others_tokens_only_for_admins_in_scope(client: FlaskClient, spi: Survey) -> None:
    viewer = make_user("viewer", ["KOTA"])
    other = make_user("analyst", ["KOTA"])
    top = make_user("admin", None, "top@example.org")
    scoped = make_user("admin", ["KOTA"], "scoped@example.org")
    ids = {}
    for user in (viewer, other, top):
        issue_token(user)
        ids[user.email] = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))

    login(client, viewer.email)

    client.get("/admin/?lang=en")  # messages checked in English
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count('/revoke"') == 1  # only their own
    assert _revoke(client, ids[other.email]).status_code == 404  # type: ignore[attr-defined]
    client.post("/admin/logout", data={"csrf_token": csrf_of(page)})

    login(client, scoped.email)

    client.get("/admin/?lang=en")  # messages checked in English
    page = client.get(PAGE).get_data(as_text=True)
    assert viewer.email in page
    assert other.email in page
    assert top.email not in page  # wider access than the scoped admin
    assert _revoke(client, ids[top.email]).status_code == 404  # type: ignore[attr-defined]
    assert _revoke(client, ids[other.email]).status_code == 302  # type: ignore[attr-defined]
    revoked = db.session.get(ApiToken, ids[other.email])
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert db.session.get(ApiToken, ids[top.email]).revoked_at is None  # type: ignore[union-attr]
    assert _revoke(client, 999_999).status_code == 404  # type: ignore[attr-defined]
