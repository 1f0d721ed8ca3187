"""Issue 17, one language at a time, for the pages of the sample round: the population lists, the sample
plan, the campaign page with the drawn sample's monitoring, calibration, the message texts (their chrome: the
editable texts are in both languages by design), the opt-out page, and the console's refusals (domain errors
and upload problems) shown in the console's language."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.problems import Msg
from survey_app.admin.terms import error_text
from survey_app.domain.delivery import assign_optout_hashes, optout_token
from survey_app.domain.errors import N_, NONE, DomainError, Joined
from survey_app.domain.frames import upload_frame
from survey_app.domain.lifecycle import BLOCKER_TEXTS
from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion
from survey_app.models.frames import FrameContact
from tests.admin.admintools import login, make_user
from tests.admin.test_frames import MAPPING, frame_csv
from tests.app.test_one_language import ENGLISH, INDONESIAN, _shown, _words_found
from tests.apptools import Survey, csrf_of

FOREIGN = {"id": ENGLISH, "en": INDONESIAN}
PLAN = {
    "allocation": "per_unit",
    "moe": "0.1",
    "confidence": "0.95",
    "response_rate": "0.5",
    "minimum": "0",
    "census_below": "0",
}


def _data(spi: Survey) -> list[str]:
    """The survey's own data (names and titles, in Indonesian whatever the console's language)."""
    campaign = spi.campaign
    titles = []
    for version in db.session.scalars(select(QuestionnaireVersion)):
        titles.extend(str(t) for t in json.loads(version.canonical_json)["title"].values())
    return [
        campaign.title,
        campaign.organiser,
        campaign.institution.name,
        *(u.name for u in campaign.institution.units),
        *titles,
    ]


def _chrome(page: str) -> str:
    """The message-texts page without the texts themselves (edited in both languages on one page)."""
    page = re.sub(r"<textarea\b.*?</textarea>", " ", page, flags=re.S)
    page = re.sub(r"<pre class=\"message-preview\">.*?</pre>", " ", page, flags=re.S)
    return re.sub(r"<p><strong>[^<]*</strong></p>", " ", page)


def _foreign(page: str, data: list[str], lang: str) -> list[str]:
    return _words_found(_shown(page, data), FOREIGN[lang])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_sample_pages_are_in_one_language(client: FlaskClient, spi: Survey, lang: str) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    upload_frame(spi.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()
    slug = spi.campaign.slug
    data = _data(spi)
    base = f"/admin/campaigns/{slug}"
    problems: dict[str, list[str]] = {}

    def check(path: str, page: str | None = None) -> str:
        if page is None:
            reply = client.get(
                path, query_string={"lang": lang, **({"moe": "0.1"} if "plan" in path else {})}
            )
            assert reply.status_code == 200, (path, reply.status_code)
            page = reply.get_data(as_text=True)
        shown = _chrome(page) if path.endswith("/messages/") else page
        found = _foreign(shown, data, lang)
        if found:
            problems[path] = found
        return page

    check(f"{base}/frames/")
    plan = check(f"{base}/frames/plan")
    # The expected margin of error in the locale's format: "9,9%" in Indonesian, "9.9%" in English.
    moes = re.findall(r'<td class="num">(\d+[.,]\d)%</td>', plan)
    assert moes
    assert all(m[-2] == ("," if lang == "id" else ".") for m in moes), moes
    check(f"{base}/calibration/")
    messages = check(f"{base}/messages/")
    # The chrome is checked, not the texts; the texts of both languages are there by design.
    assert 'lang="id"' in messages
    assert 'lang="en"' in messages
    drawn = client.post(
        f"{base}/frames/draw?lang={lang}",
        data={"csrf_token": csrf_of(plan), **PLAN, "method": "srs", "seed": "5"},
        follow_redirects=True,
    )
    assert drawn.status_code == 200
    check(f"{base}/frames/ (after the draw)", drawn.get_data(as_text=True))
    monitoring = check(base)
    assert 'id="sample-monitoring"' in monitoring
    check(f"{base}/frames/")
    contact = db.session.scalars(select(FrameContact).where(FrameContact.invitation_id.is_not(None))).first()
    assert contact is not None
    assign_optout_hashes([contact.id])
    db.session.commit()
    optout = client.get(f"/o/{optout_token(contact)}?lang={lang}")
    assert optout.status_code == 200
    check("/o/<token>", optout.get_data(as_text=True))
    assert not problems, f"{lang} pages show words of the other language: {problems}"


#: Refusals of the console, from the domain's errors and an upload's problems, in each language.
EXPECTED = {
    "id": {
        "remove": "kelompok 'internal' pada putaran survei kota-2025 tidak memiliki marginal",
        "margins": (
            "butir 'tidak_ada' tidak dikenal: bukan pertanyaan kuesioner kelompok internal",
            "'banyak' bukan angka",
        ),
        "account": "akun untuk boss@example.org sudah ada",
    },
    "en": {
        "remove": "group 'internal' of campaign kota-2025 has no margins",
        "margins": (
            "unknown item 'tidak_ada': not a question of the internal questionnaire",
            "'banyak' is not a number",
        ),
        "account": "an account for boss@example.org exists already",
    },
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_console_refuses_in_its_language(client: FlaskClient, spi: Survey, lang: str) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    base = f"/admin/campaigns/{spi.campaign.slug}/calibration"
    page = client.get(f"{base}/?lang={lang}").get_data(as_text=True)
    removed = client.post(
        f"{base}/internal/remove?lang={lang}", data={"csrf_token": csrf_of(page)}, follow_redirects=True
    )
    shown = html.unescape(removed.get_data(as_text=True))
    assert EXPECTED[lang]["remove"] in shown

    margins = b"variable,level,total\ntidak_ada,1,10\nx,,banyak\n"
    uploaded = client.post(
        f"{base}/upload?lang={lang}",
        data={
            "csrf_token": csrf_of(page),
            "group": "internal",
            "method": "rake",
            "margins_file": (io.BytesIO(margins), "marginal.csv"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 400
    text = uploaded.get_data(as_text=True)
    cells = [
        html.unescape(c) for c in re.findall(r"<td>([^<]*)</td></tr>", text.split('id="margin-problems"')[1])
    ]
    for expected in EXPECTED[lang]["margins"]:
        assert expected in cells, (expected, cells)
    for cell in cells:
        assert not _words_found(cell, FOREIGN[lang]), cell

    users = client.get(f"/admin/users/?lang={lang}").get_data(as_text=True)
    again = client.post(
        f"/admin/users/new?lang={lang}",
        data={
            "csrf_token": csrf_of(users),
            "email": "boss@example.org",
            "password": "a-long-enough-password",
            "role": "admin",
            "institutions": ["KOTA"],
        },
    )
    assert again.status_code == 400
    assert EXPECTED[lang]["account"] in html.unescape(again.get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "tidak dapat dihapus karena masih dipakai (3 undangan, 1 jawaban); arsipkan saja"),
        ("en", "cannot delete: it is in use (3 invitations, 1 responses); archive it instead"),
    ],
)
def test_words_inside_an_error_are_translated_too(spi: Survey, lang: str, expected: str) -> None:
    error = DomainError(
        N_("cannot delete: it is in use (%(what)s); archive it instead"),
        what=Joined([Msg(BLOCKER_TEXTS["invitations"], n=3), Msg(BLOCKER_TEXTS["responses"], n=1)]),
    )
    none = DomainError(
        N_("correction rule(s) %(rules)s not in profile %(profile)s (it has: %(known)s)"),
        rules="x",
        profile="p",
        known=NONE,
    )
    # The command line reads the English text, whatever the console's language.
    assert str(error) == "cannot delete: it is in use (3 invitations, 1 responses); archive it instead"
    assert str(none).endswith("(it has: none)")
    with spi.app.test_request_context(f"/admin/?lang={lang}"):
        assert error_text(error) == expected
        assert error_text(none).endswith("(yang ada: belum ada)" if lang == "id" else "(it has: none)")
