"""Accounts in the console: create (password given or generated and shown once), role and scope, deactivate,
reactivate, unlock, reset; scoped admins; the last admin cannot lock everyone out; everything audited."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Institution, User
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of

URL = "/admin/users/"


def _admin(
    client: FlaskClient, institutions: list[str] | None = None, email: str = "admin@example.org"
) -> User:
    user = make_user("admin", institutions, email=email)
    assert login(client, email).status_code == 302  # type: ignore[attr-defined]
    client.get("/admin/?lang=en")
    return user


def _post(client: FlaskClient, url: str, page: str = URL, **data: object) -> tuple[int, str, str]:
    token = csrf_of(client.get(page).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **data})
    return response.status_code, response.get_data(as_text=True), response.headers.get("Location", "")


def _user(email: str) -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _actions(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_create_with_a_generated_password_shown_once(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    status, page, _ = _post(
        client, URL + "new", email="Ana@Example.org", role="analyst", institutions=["KOTA"]
    )
    assert status == 200, page
    found = re.search(r'<code class="token" id="new-password">([^<]+)</code>', page)
    assert found
    password = found.group(1)
    assert len(password) >= 12
    user = _user("ana@example.org")
    assert (user.role, [i.code for i in user.institutions], user.all_institutions) == (
        "analyst",
        ["KOTA"],
        False,
    )
    assert password not in client.get(URL).get_data(as_text=True)
    [entry] = _actions("user.create")
    assert entry.details["generated_password"] is True
    assert password not in str(entry.details)
    other = client.application.test_client()
    assert login(other, "ana@example.org", password).status_code == 302  # type: ignore[attr-defined]


def test_create_refuses_bad_input_with_messages(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    status, page, _ = _post(client, URL + "new", email="v@example.org", role="viewer", password="short")
    assert status == 400
    assert "at least 12" in page
    status, page, _ = _post(
        client, URL + "new", email="v@example.org", role="viewer", password="long enough pass"
    )
    assert status == 400
    assert "needs at least one institution" in page
    status, page, _ = _post(
        client, URL + "new", email="admin@example.org", role="viewer", institutions=["KOTA"]
    )
    assert status == 400
    assert "exists already" in page
    status, page, _ = _post(client, URL + "new", email="not-an-address", role="viewer", institutions=["KOTA"])
    assert status == 400
    assert "is not an e-mail address" in page
    status, page, _ = _post(client, URL + "new", email="x@example.org", role="boss", institutions=["KOTA"])
    assert status == 400
    status, page, _ = _post(client, URL + "new", email="x@example.org", role="viewer", institutions=["NOPE"])
    assert status == 400
    assert db.session.scalar(select(User).where(User.email.in_(["v@example.org", "x@example.org"]))) is None
    # A chosen password is not shown back.
    status, page, _ = _post(
        client, URL + "new", email="w@example.org", role="admin", password="a chosen password"
    )
    assert status == 200
    assert "a chosen password" not in page
    assert _user("w@example.org").all_institutions


def test_role_scope_deactivate_reactivate_unlock_reset(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    viewer = make_user("viewer", ["KOTA"])
    page = f"{URL}{viewer.id}"
    status, _, _location = _post(client, page, page, role="analyst", institutions=["KOTA"])
    assert status == 302
    assert _user("viewer@example.org").role == "analyst"
    assert _actions("user.update")[0].details["before"]["role"] == "viewer"

    assert _post(client, f"{page}/deactivate", page)[0] == 302
    assert not _user("viewer@example.org").active
    other = client.application.test_client()
    assert login(other, "viewer@example.org").status_code != 302  # type: ignore[attr-defined]
    assert _post(client, f"{page}/reactivate", page)[0] == 302
    assert _user("viewer@example.org").active

    # Unlock moves the account to a new generation of throttle keys (tests/admin/test_accounts.py checks
    # that it lets a locked-out address in again).
    generation = _user("viewer@example.org").lockout_generation
    assert "Unlock" in client.get(page).get_data(as_text=True)
    assert _post(client, f"{page}/unlock", page)[0] == 302
    assert _user("viewer@example.org").lockout_generation == generation + 1
    assert _actions("user.unlock")[0].details["email"] == "viewer@example.org"

    status, body, _ = _post(client, f"{page}/password", page)
    assert status == 200
    found = re.search(r'id="new-password">([^<]+)</code>', body)
    assert found
    assert login(other, "viewer@example.org", found.group(1)).status_code == 302  # type: ignore[attr-defined]
    for action in ("user.deactivate", "user.reactivate", "user.password_reset"):
        assert len(_actions(action)) == 1


def test_the_last_admin_cannot_demote_or_deactivate_themselves(client: FlaskClient, spi: Survey) -> None:
    me = _admin(client)
    page = f"{URL}{me.id}"
    status, body, _ = _post(client, page, page, role="analyst", institutions=["KOTA"])
    assert status == 400
    assert "last active admin" in body
    status, body, _ = _post(client, f"{page}/deactivate", page)
    assert status == 400
    assert "last active admin" in body
    # Nor give up all institutions while no other admin has them.
    status, body, _ = _post(client, page, page, role="admin", institutions=["KOTA"])
    assert status == 400
    assert "all institutions" in body
    me = _user("admin@example.org")
    assert (me.role, me.active, me.all_institutions) == ("admin", True, True)
    assert _actions("user.update") == []
    assert _actions("user.deactivate") == []
    # With a second admin of all institutions, stepping down is allowed.
    make_user("admin", None, email="second@example.org")
    assert _post(client, page, page, role="analyst", institutions=["KOTA"])[0] == 302
    assert _user("admin@example.org").role == "analyst"


def test_a_scoped_admin_manages_only_accounts_within_their_institutions(
    client: FlaskClient, spi: Survey
) -> None:
    db.session.add(Institution(code="OTHER", name="Another institution"))
    db.session.commit()
    outsider = make_user("viewer", ["OTHER"], email="outsider@example.org")
    everywhere = make_user("admin", None, email="root@example.org")
    insider = make_user("analyst", ["KOTA"], email="insider@example.org")
    _admin(client, ["KOTA"], email="scoped@example.org")
    listing = client.get(URL).get_data(as_text=True)
    assert "insider@example.org" in listing
    assert "outsider@example.org" not in listing
    assert "root@example.org" not in listing
    assert "OTHER" not in listing  # not offered as a choice either
    for user in (outsider, everywhere):
        assert client.get(f"{URL}{user.id}").status_code == 404
    status, body, _ = _post(
        client, URL + "new", email="a@example.org", role="admin", password="long enough pass"
    )
    assert status == 400
    assert "Choose at least one of your institutions" in body
    status, _, _ = _post(client, URL + "new", email="b@example.org", role="viewer", institutions=["OTHER"])
    assert status == 400
    status, _, _ = _post(client, URL + "new", email="c@example.org", role="admin", institutions=["KOTA"])
    assert status == 200
    assert not _user("c@example.org").all_institutions
    page = f"{URL}{insider.id}"
    status, body, _ = _post(client, page, page, role="analyst", institutions=[])
    assert status == 400
    assert _post(client, page, page, role="viewer", institutions=["KOTA"])[0] == 302


def test_csrf_is_required(client: FlaskClient, spi: Survey) -> None:
    client.application.config["WTF_CSRF_ENABLED"] = True
    _admin(client)
    viewer = make_user("viewer", ["KOTA"])
    response = client.post(f"{URL}{viewer.id}/deactivate")
    assert response.status_code == 400
    assert _user("viewer@example.org").active


def test_the_data_steward_right_is_given_explicitly_and_audited(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    analyst = make_user("analyst", ["KOTA"])
    viewer = make_user("viewer", ["KOTA"])
    assert not analyst.data_steward
    url = f"{URL}{analyst.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Data steward" in page
    status, _, _ = _post(client, url, page=url, role="analyst", institutions="KOTA", data_steward="y")
    assert status == 302
    assert _user("analyst@example.org").data_steward
    (grant,) = _actions("user.steward_grant")
    assert grant.target == f"user:{analyst.id}"
    assert grant.user_email == "admin@example.org"
    status, _, _ = _post(client, url, page=url, role="analyst", institutions="KOTA")
    assert status == 302
    assert not _user("analyst@example.org").data_steward
    assert len(_actions("user.steward_revoke")) == 1
    viewer_url = f"{URL}{viewer.id}"
    status, html, _ = _post(
        client, viewer_url, page=viewer_url, role="viewer", institutions="KOTA", data_steward="y"
    )
    assert status == 400
    assert "A viewer cannot be a data steward" in html
    assert not _user("viewer@example.org").data_steward
