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
from tests.apptools import Survey, post_form


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


def test_account_locks_after_repeated_failures_even_with_the_right_password(
    app: Flask, client: FlaskClient
) -> None:
    user = make_user("admin")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, user.email, "wrong wrong wrong").status_code == 401
    assert login(client, user.email).status_code == 401
    db.session.refresh(user)
    assert user.locked_until is not None
    assert "login.locked" in db.session.scalars(select(AuditEntry.action)).all()


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
