"""The invitation flow through the test client: consent, pages, back/next, skip logic, validation, resume."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from survey_app.extensions import db
from survey_app.models import Draft, Invitation, Response
from survey_app.tokens import token_hash
from tests.apptools import Survey, build_survey, csrf_of, post_form


def _start(client: FlaskClient, token: str) -> str:
    """Consent and return the URL of the first page."""
    reply = post_form(client, f"/r/{token}", {"consent": "y"})
    assert reply.status_code == 303
    return reply.headers["Location"]


def _follow(client: FlaskClient, reply) -> str:  # type: ignore[no-untyped-def]
    """The page a reply shows: itself, or where it redirects (after a validation error, as a browser)."""
    if reply.status_code in (302, 303):
        return str(client.get(reply.headers["Location"]).get_data(as_text=True))
    return str(reply.get_data(as_text=True))


def _post(client: FlaskClient, url: str, data: dict[str, object], action: str = "next"):  # type: ignore[no-untyped-def]
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    token = csrf_of(page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "action": action, **data})


def _post_invalid(client: FlaskClient, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    """Post answers that do not validate: redirected to the same page (post/redirect/get), which shows the
    messages and the answers as given."""
    reply = _post(client, url, data)
    assert reply.status_code == 303
    assert reply.headers["Location"] == url.split("?")[0]
    page = client.get(reply.headers["Location"])
    assert page.status_code == 200
    return page


def _responses() -> list[Response]:
    return list(db.session.scalars(select(Response)))


def test_intro_shows_consent_and_anonymity_promise_in_indonesian(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    page = client.get(f"/r/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="id">' in html
    assert "Survei mini" in html
    assert "<strong>penting</strong>" in html
    assert 'name="consent"' in html
    assert "Saya setuju." in html
    assert "anonim" in html.lower()
    # Who asks, who organises, until when: named from the campaign on the first page and every other.
    about = "Kota Uji · Diselenggarakan oleh Inspektorat Kota Uji ·\n  Dibuka sampai"
    assert about in html
    # The promise says what holds: the link resumes (it is not "used once"), stewards can read rows.
    assert "hanya dapat diunduh oleh petugas data" in html
    assert "sekali" not in html
    first = _start(client, token)
    assert about in client.get(first).get_data(as_text=True)


def test_consent_is_required_and_the_error_summary_links_to_it(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    reply = post_form(client, f"/r/{token}", {})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert 'class="error-summary"' in html
    assert 'href="#consent"' in html
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0


def test_complete_flow_with_back_next_validation_and_skip_logic(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    first = _start(client, token)
    assert first.endswith(f"/r/{token}/p/s1")

    # Page 1 requires its question.
    reply = _post_invalid(client, first, {})
    html = reply.get_data(as_text=True)
    assert 'href="#q_yes"' in html
    assert 'id="q_yes"' in html
    assert 'aria-describedby="q_yes-error"' in html

    reply = _post(client, first, {"q_yes": "ya"})
    assert reply.status_code == 303
    second = reply.headers["Location"]
    assert second.endswith("/p/s1~2")  # the follow-up is split onto a continuation page

    page = client.get(second).get_data(as_text=True)
    assert 'name="q_kind"' in page
    assert 'name="q_count"' in page

    # A constraint violation and a bad number keep every answer given on the page.
    reply = _post_invalid(client, second, {"q_kind": ["uang", "barang"], "q_count": "70"})
    html = reply.get_data(as_text=True)
    assert "Paling banyak 60." in html
    assert 'href="#q_count"' in html
    assert 'value="uang" checked' in html
    assert 'value="barang" checked' in html
    assert 'value="70"' in html
    reply = _post_invalid(client, second, {"q_kind": ["uang"], "q_count": "dua"})
    assert "bilangan bulat" in reply.get_data(as_text=True)
    reply = _post_invalid(client, second, {"q_kind": ["uang", "dk"], "q_count": "3"})
    assert 'href="#q_kind"' in reply.get_data(as_text=True)

    # Back keeps the answers of both pages.
    reply = _post(client, second, {"q_kind": ["barang"], "q_count": "12"}, action="back")
    assert reply.headers["Location"].endswith("/p/s1")
    assert 'value="ya" checked' in client.get(first).get_data(as_text=True)
    reply = _post(client, first, {"q_yes": "ya"})
    html = client.get(second).get_data(as_text=True)
    assert 'value="barang" checked' in html
    assert 'value="12"' in html

    reply = _post(client, second, {"q_kind": ["barang"], "q_count": "12"})
    third = reply.headers["Location"]
    assert third.endswith("/p/s2")
    page = client.get(third).get_data(as_text=True)
    assert "Kirim jawaban" in page  # s3 is hidden (q_yes = ya), so s2 is the last page
    assert "<b>" not in page  # questionnaire HTML is escaped / sanitised

    # A number too long to mean anything is refused with a message, not a server error.
    for typed in ("9" * 400, "9" * 5000, "1" * 16):
        reply = _post(client, third, {"q_share": typed, "q_name": "", "q_long": ""})
        assert reply.status_code in (200, 303)
        assert "paling banyak 15 digit" in _follow(client, reply)
    reply = _post(client, third, {"q_share": "2,5", "q_name": "=cmd|' /C calc'!A0", "q_long": ""})
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith("/thanks")

    (response,) = _responses()
    assert response.answers == {
        "q_yes": "ya",
        "q_kind": ["barang"],
        "q_count": 12,
        "q_share": 2.5,
        "q_name": "=cmd|' /C calc'!A0",
    }
    assert response.submitted_on == date.today() or abs((response.submitted_on - date.today()).days) <= 1
    assert response.open_access is False
    assert response.weight == 1.0
    assert db.session.get(Draft, token_hash(token)) is None
    state = db.session.scalar(select(Invitation.state).where(Invitation.token_hash == token_hash(token)))
    assert state == "spent"

    # A spent link says so only once the respondent acts: its GET is the consent page, as for any link.
    assert client.get(f"/r/{token}").status_code == 200
    gone = post_form(client, f"/r/{token}", {"consent": "y"})
    assert gone.status_code == 410
    assert "sudah digunakan" in gone.get_data(as_text=True)


def test_hidden_items_are_neither_required_nor_stored(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    first = _start(client, token)
    # Answer "ya" and the follow-up, then go back and change to "tidak": the follow-up is hidden.
    second = _post(client, first, {"q_yes": "ya"}).headers["Location"]
    _post(client, second, {"q_kind": ["uang"], "q_count": "5"})
    _post(client, first, {"q_yes": "tidak"})
    html = client.get(second).get_data(as_text=True)
    assert 'name="q_kind"' not in html
    assert 'name="q_count"' in html
    third = _post(client, second, {"q_count": "5"}).headers["Location"]
    fourth = _post(client, third, {}).headers["Location"]
    assert fourth.endswith("/p/s3")  # shown because q_yes = tidak
    reply = _post_invalid(client, fourth, {})
    assert 'href="#q_why"' in reply.get_data(as_text=True)
    reply = _post(client, fourth, {"q_why": "Tidak ada"})
    assert reply.headers["Location"].endswith("/thanks")
    (response,) = _responses()
    assert response.answers == {"q_yes": "tidak", "q_count": 5, "q_why": "Tidak ada"}


def test_resume_from_another_device(app: Flask, survey: Survey) -> None:
    token = survey.token()
    phone = app.test_client()
    first = _start(phone, token)
    second = _post(phone, first, {"q_yes": "ya"}).headers["Location"]

    page = phone.get(second).get_data(as_text=True)
    code = re.search(r'class="resume-code"[^>]*>([A-Z0-9-]+)<', page)
    assert code, "the page shows no resume code"

    laptop = app.test_client()
    # The link alone: the consent page, then a page that asks for the code and shows no answer.
    assert laptop.get(f"/r/{token}").status_code == 200
    assert laptop.get(second).status_code == 303  # a page of the draft is not shown either
    asked = post_form(laptop, f"/r/{token}", {"consent": "y"})
    assert asked.status_code == 200
    assert 'name="code"' in asked.get_data(as_text=True)
    assert "q_kind" not in asked.get_data(as_text=True)
    wrong = laptop.post(
        f"/r/{token}/resume", data={"csrf_token": csrf_of(asked.get_data(as_text=True)), "code": "AAAA-AAAA"}
    )
    assert wrong.status_code == 400
    reply = laptop.post(
        f"/r/{token}/resume",
        data={"csrf_token": csrf_of(asked.get_data(as_text=True)), "code": code.group(1).lower()},
    )
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith("/p/s1~2?resumed=1")
    html = laptop.get(reply.headers["Location"]).get_data(as_text=True)
    assert 'role="status"' in html
    assert 'name="q_kind"' in html
    assert 'value="ya" checked' in laptop.get(first).get_data(as_text=True)
    assert second.endswith("/p/s1~2")


def test_submit_with_required_answers_missing_goes_back(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    _start(client, token)
    # Jump straight to the last page by URL: the submit finds the unanswered first page.
    reply = _post(client, f"/r/{token}/p/s2", {})
    assert reply.headers["Location"].endswith("/p/s1?incomplete=1")
    assert _responses() == []


def test_unknown_and_malformed_tokens_are_404(client: FlaskClient, survey: Survey) -> None:
    assert client.get("/r/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/r/short").status_code == 404
    assert client.get("/r/%3Cscript%3E").status_code == 404
    assert "Halaman tidak ditemukan" in client.get("/r/AAAAAAAAAAAAAAAAAAAAAA").get_data(as_text=True)


def test_revoked_invitation_is_410(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    assert invitation is not None
    invitation.state = "revoked"
    db.session.commit()
    reply = client.get(f"/r/{token}")
    assert reply.status_code == 410
    assert "tidak berlaku lagi" in reply.get_data(as_text=True)


@pytest.mark.parametrize(
    ("shift", "status", "code", "text"),
    [
        (-20, "open", 410, "sudah ditutup"),
        (0, "closed", 410, "sudah ditutup"),
        (10, "open", 403, "belum dibuka"),
        (0, "draft", 403, "belum dibuka"),
    ],
)
def test_campaign_outside_its_dates_says_so(
    app: Flask, mini, shift: int, status: str, code: int, text: str
) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    survey = build_survey(
        app,
        {"internal": mini},
        opens_on=today + timedelta(days=shift) - timedelta(days=1 if shift <= 0 else 0),
        closes_on=today + timedelta(days=shift + 5),
        status=status,
    )
    token = survey.token()
    reply = app.test_client().get(f"/r/{token}")
    assert reply.status_code == code
    assert text in reply.get_data(as_text=True)


def test_language_from_accept_language_and_switch_that_persists(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    html = client.get(f"/r/{token}", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Mini survey" in html
    assert "I agree." in html
    html = client.get(f"/r/{token}?lang=id", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Survei mini" in html
    # The choice sticks for the rest of the visit, whatever the browser prefers.
    first = _start(client, token)
    html = client.get(first, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Pernah melihat?" in html
    assert f'href="/r/{token}/p/s1?lang=en"' in html
    html = client.get(first + "?lang=en").get_data(as_text=True)
    assert "Ever seen?" in html
    assert "Page 1 of" in html


def test_csrf_is_enforced(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    reply = client.post(f"/r/{token}", data={"consent": "y"})
    assert reply.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0


def test_security_headers(client: FlaskClient, survey: Survey) -> None:
    reply = client.get(f"/r/{survey.token()}")
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in reply.get_data(as_text=True)


def test_session_cookie_flags(client: FlaskClient, survey: Survey) -> None:
    reply = client.get(f"/r/{survey.token()}")  # the CSRF token is kept in the session cookie
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_link_holder_learns_nothing_from_a_links_state(
    app: Flask, client: FlaskClient, survey: Survey
) -> None:
    """Whoever issued the links polls them: unused, started and spent links answer alike to a plain GET."""
    links = dict(zip(("unused", "started", "spent"), survey.issue(3), strict=True))
    respondent = app.test_client()
    first = _start(respondent, links["started"])
    _post(respondent, first, {"q_yes": "ya"})
    db.session.execute(
        update(Invitation).where(Invitation.token_hash == token_hash(links["spent"])).values(state="spent")
    )
    db.session.commit()

    replies = {name: client.get(f"/r/{token}") for name, token in links.items()}
    assert {name: r.status_code for name, r in replies.items()} == dict.fromkeys(links, 200)
    # The same page but for the token in its own URLs and the form's CSRF token.
    bodies = {
        name: re.sub(r'name="csrf_token" value="[^"]+"', "", r.get_data(as_text=True)).replace(
            links[name], "T"
        )
        for name, r in replies.items()
    }
    assert bodies["unused"] == bodies["started"] == bodies["spent"]
    # Nor do the pages of a draft show it: without the respondent's browser (or code) they lead to the start.
    assert client.get(first).headers["Location"].endswith(f"/r/{links['started']}")
    assert client.get(f"/r/{links['spent']}/p/s1").headers["Location"].endswith(f"/r/{links['spent']}")
