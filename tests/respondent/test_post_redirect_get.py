"""After answers that do not validate, the page comes back through a redirect (post/redirect/get): a phone's
back button or a reload never asks to resend a form, and nothing is lost or stored twice."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Draft, Response
from survey_app.respondent.handlers import POSTED
from survey_app.tokens import token_hash
from tests.apptools import Survey, csrf_of, post_form


def _post(client: FlaskClient, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "action": "next", **data})


def test_an_invalid_page_is_redirected_to_and_shown_again_by_get(client: FlaskClient, survey: Survey) -> None:
    token = survey.token()
    first = post_form(client, f"/r/{token}", {"consent": "y"}).headers["Location"]
    second = _post(client, first, {"q_yes": "ya"}).headers["Location"]

    reply = _post(client, second, {"q_kind": ["uang", "barang"], "q_count": "dua"})
    assert reply.status_code == 303
    assert reply.headers["Location"] == second
    for _ in range(2):  # shown again by GET, and again on a reload, with the answers as they were typed
        html = client.get(second).get_data(as_text=True)
        assert 'class="error-summary"' in html
        assert 'href="#q_count"' in html
        assert 'value="dua"' in html
        assert 'value="uang" checked' in html
    draft = db.session.get(Draft, token_hash(token))
    assert draft is not None
    assert draft.answers["q_kind"] == ["uang", "barang"]  # the valid answer is kept
    assert "q_count" not in draft.answers

    # Corrected: the next page, the waiting form is gone from the draft and never reaches the response.
    reply = _post(client, second, {"q_kind": ["uang"], "q_count": "3"})
    assert reply.status_code == 303
    assert reply.headers["Location"] != second
    db.session.expire_all()
    draft = db.session.get(Draft, token_hash(token))
    assert draft is not None
    assert POSTED not in draft.answers
    assert "Kirim" in client.get(reply.headers["Location"]).get_data(as_text=True)
    _post(client, reply.headers["Location"], {"q_share": "1"})
    (response,) = db.session.scalars(select(Response))
    assert POSTED not in response.answers
    assert response.answers["q_count"] == 3
