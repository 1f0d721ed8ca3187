"""Accounts: login, throttling and lockout, session expiry, password change, scope, the users CLI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from survey_app.domain.accounts import create_user
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import AuditEntry, User
from tests.admin.admintools import PASSWORD, login, make_user
from tests.apptools import Survey, csrf_of, post_form


def test_login_with_right_password_reaches_dashboard_and_is_audited(client: FlaskClient, spi: Survey) -> None:
    user = make_user("admin")
    response = login(client, "ADMIN@example.org ")  # addresses are case- and space-insensitive
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert spi.campaign.title in page
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == user.id)).all()
    assert actions == ["login"]


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client: FlaskClient) -> None:
    make_user("admin")
    wrong = login(client, "admin@example.org", "not the password")
    unknown = login(client, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    # The default language is Indonesian.
    message = "Alamat e-mail atau kata sandi salah, atau akun dikunci untuk sementara."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


@pytest.fixture
def throttled(tmp_path, committed_database: str):  # type: ignore[no-untyped-def]
    """An app whose limiter counts (the other tests switch it off). Requests run outside any pushed app
    context: one shared across requests would share ``g`` (and its cached CSRF token) between clients."""
    from tests.conftest import make_app

    # A database of its own: these tests commit accounts, which the shared one must not keep.
    return make_app(committed_database, tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1000/minute")


def _account(app: Flask) -> tuple[int, str]:
    """A new admin in the worker's shared database (these tests commit): a fresh address each time."""
    import secrets

    with app.app_context():
        user = make_user("admin", email=f"admin-{secrets.token_hex(4)}@example.org")
        return user.id, user.email


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action)).all())


def _client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_lock_out_that_address_and_not_the_owner(throttled: Flask) -> None:
    _, email = _account(throttled)
    attacker, owner = _client_at(throttled, "203.0.113.9"), _client_at(throttled, "198.51.100.7")
    for _ in range(throttled.config["LOGIN_MAX_FAILURES"]):
        assert login(attacker, email, "wrong wrong wrong").status_code == 401
    # The right password no longer helps from the attacker's address ...
    assert login(attacker, email).status_code == 401
    # ... while the owner, elsewhere, logs in as usual.
    assert login(owner, email).status_code == 302
    actions = _actions(throttled)
    assert actions.count("login.locked") == 1
    assert "login" in actions


def test_unlock_forgets_every_address(throttled: Flask) -> None:
    user_id, email = _account(throttled)
    attacker = _client_at(throttled, "203.0.113.9")
    for _ in range(throttled.config["LOGIN_MAX_FAILURES"]):
        login(attacker, email, "wrong wrong wrong")
    assert login(attacker, email).status_code == 401
    _, admin = _account(throttled)
    console = _client_at(throttled, "198.51.100.7")
    assert login(console, admin).status_code == 302
    page = console.get(f"/admin/users/{user_id}").get_data(as_text=True)
    unlocked = console.post(f"/admin/users/{user_id}/unlock", data={"csrf_token": csrf_of(page)})
    assert unlocked.status_code == 302
    assert login(attacker, email).status_code == 302


def test_a_locked_out_address_is_answered_as_slowly_as_a_wrong_password(throttled: Flask) -> None:
    """No existence oracle: unknown account, wrong password and locked out all verify one Argon2 hash."""
    import time

    _, email = _account(throttled)
    client = _client_at(throttled, "203.0.113.9")

    def timed(email: str, password: str) -> float:
        token = csrf_of(client.get("/admin/login").get_data(as_text=True))
        start = time.perf_counter()
        client.post("/admin/login", data={"csrf_token": token, "email": email, "password": password})
        return time.perf_counter() - start

    wrong = min(timed(email, "wrong wrong wrong") for _ in range(throttled.config["LOGIN_MAX_FAILURES"]))
    locked = min(timed(email, PASSWORD) for _ in range(3))
    unknown = min(timed("nobody@example.org", PASSWORD) for _ in range(3))
    # Before, a locked account answered about 30 times faster; Argon2 dominates all three now.
    assert locked > wrong / 3
    assert unknown > wrong / 3


def test_logins_fail_closed_when_the_limit_store_is_down(tmp_path, committed_database: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    down = make_app(
        committed_database, tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0"
    )
    _, email = _account(down)
    client = down.test_client()
    token = csrf_of(client.get("/admin/login?lang=en").get_data(as_text=True))
    response = client.post(
        "/admin/login?lang=en",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
    )
    assert response.status_code == 503
    assert "Logging in is not possible at the moment" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # Other limits fail open: the rate-limited API still answers (the store's error is logged).
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_copied_session_cookie_stops_working_after_logout(app: Flask, client: FlaskClient) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    assert client.get("/admin/").status_code == 200
    stolen = client.get_cookie("session")
    assert stolen is not None
    page = client.get("/admin/").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_of(page)})
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    assert thief.get("/admin/").status_code == 302


def test_login_posts_are_rate_limited_per_client(tmp_path, database: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    limited = make_app(database, tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3/minute")
    client = limited.test_client()
    statuses = []
    with limited.app_context():
        for _ in range(4):
            statuses.append(login(client, "nobody@example.org").status_code)  # type: ignore[attr-defined]
    assert statuses == [401, 401, 401, 429]


def test_console_session_expires(app: Flask, client: FlaskClient) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        session["console_login_at"] = datetime.now(UTC).timestamp() - app.config["ADMIN_SESSION_LIFETIME"] - 1
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app: Flask, client: FlaskClient) -> None:
    user = make_user("admin")
    other = app.test_client()
    login(client, user.email)
    login(other, user.email)
    new = "a brand new passphrase"
    response = post_form(client, "/admin/password", {"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # this session continues under the new password
    assert other.get("/admin/").status_code == 302  # the other one is over
    assert login(other, user.email, new).status_code == 302
    wrong = post_form(client, "/admin/password", {"current": "not it at all", "new": new, "confirm": new})
    assert wrong.status_code == 400


def test_scope_hides_other_institutions_campaigns(app: Flask, client: FlaskClient, spi: Survey) -> None:
    import io

    from survey_app.domain.institutions import import_units

    import_units(
        io.StringIO(
            "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
            "LAIN,Kabupaten Lain,SETDA,Sekretariat,,50\n"
        )
    )
    db.session.commit()
    make_user("analyst", ["LAIN"])
    login(client, "analyst@example.org")
    assert spi.campaign.title not in client.get("/admin/").get_data(as_text=True)
    assert client.get(f"/admin/campaigns/{spi.campaign.slug}").status_code == 404
    assert client.get(f"/admin/campaigns/{spi.campaign.slug}/results/").status_code == 404


def test_create_user_rejects_bad_input(app: Flask) -> None:
    with pytest.raises(DomainError, match="at least 12"):
        create_user("a@example.org", "short", "admin")
    with pytest.raises(DomainError, match="unknown role"):
        create_user("a@example.org", PASSWORD, "boss")
    with pytest.raises(DomainError, match="needs at least one institution"):
        create_user("a@example.org", PASSWORD, "viewer")
    with pytest.raises(DomainError, match="no institution with code 'NOPE'"):
        create_user("a@example.org", PASSWORD, "analyst", ["NOPE"])


def test_users_create_command(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", "Boss@Example.org", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.org (all institutions)" in result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user is not None
    assert user.all_institutions
    assert user.password_hash.startswith("$argon2id$")
    again = runner.invoke(
        args=["users", "create", "--email", "boss@example.org", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert again.exit_code == 1
    assert "exists already" in again.output


def test_site_root_leads_to_the_console_login(client: FlaskClient) -> None:
    root = client.get("/")
    assert root.status_code == 302
    assert root.headers["Location"].endswith("/admin/")
    console = client.get("/admin/")
    assert console.status_code == 302
    assert "/admin/login" in console.headers["Location"]
