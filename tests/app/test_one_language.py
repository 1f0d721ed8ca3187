"""Every console page of the seeded demo, rendered in Bahasa Indonesia and in English, shows no word of the
other language: labels, messages, flags, group and state names, chart texts, numbers (``77,0`` against
``77.0``), alt texts and tooltips included. The demo's own data (unit, institution and campaign names) is
left out of the comparison: it is in Indonesian whatever the console's language."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Campaign, Institution, QuestionnaireVersion, ScoreRun, Unit, User
from tests.admin.admintools import login
from tests.conftest import make_app

_LOGIN = re.compile(r"e-mail: (\S+)\s+password: (\S+)")

#: Words of the console's English that an Indonesian page must not show (whole words, case-sensitive).
ENGLISH = (
    "Campaign",
    "Campaigns",
    "campaign",
    "Results",
    "results",
    "Invitations",
    "invitations",
    "Download",
    "Back",
    "Edit",
    "Close",
    "Save",
    "Search",
    "Page",
    "Responses",
    "responses",
    "suppressed",
    "estimate",
    "ci_low",
    "ci_high",
    "True",
    "False",
    "Employees",
    "Service users",
    "Experts",
    "spent",
    "issued",
    "draft",
    "closed",
    "confidence interval",
    "Category",
    "Audit log",
    "Log out",
    "Questionnaire",
    "Institution",
    "Institutions",
    "Users",
    "Password",
    "the",
    "and",
    "with",
    "of",
    "not",
    "Yes",
    "No",
    "Index",
    "Unit code",
    "Group",
    "Delete",
    "Archive",
    "Duplicate",
    "Correction",
    "Published",
    "respondents",
    "expert",
    "external",
    "Fingerprint",
    "hash",
    "Details",
    "Who",
    "When",
)
#: Words of the console's Indonesian that an English page must not show.
INDONESIAN = (
    "Kampanye",
    "kampanye",
    "Putaran",
    "putaran",
    "Survei",
    "Hasil",
    "hasil",
    "Undangan",
    "undangan",
    "Unduh",
    "Kembali",
    "Ubah",
    "Tutup",
    "Simpan",
    "Cari",
    "Halaman",
    "Jawaban",
    "jawaban",
    "disembunyikan",
    "Pegawai",
    "Pengguna",
    "Ahli",
    "selang",
    "kepercayaan",
    "Kategori",
    "Keluar",
    "Kuesioner",
    "Instansi",
    "dan",
    "yang",
    "untuk",
    "dengan",
    "tidak",
    "ya",
    "belum",
    "sudah",
    "dibuka",
    "ditutup",
    "draf",
    "Terbitkan",
    "Diterbitkan",
    "Hapus",
    "Arsipkan",
    "Salin",
    "Koreksi",
    "responden",
    "Rincian",
    "Siapa",
    "Waktu",
    "Sasaran",
    "Mengenai",
    "IK",
    "rentan",
    "waspada",
    "terjaga",
    "Rentan",
    "Waspada",
    "Terjaga",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, str, str]:
    directory = tmp_path_factory.mktemp("languages")
    app = make_app(f"sqlite:///{Path(directory) / 'demo.db'}", directory)
    result = app.test_cli_runner().invoke(args=["demo", "setup"])
    assert result.exit_code == 0, result.output
    email, password = _LOGIN.findall(result.output)[0]
    return app, email, password


def _pages(app: Flask) -> tuple[list[str], list[str]]:
    """The console's pages of the demo (GET), and the demo's own data to leave out of the comparison."""
    with app.app_context():
        campaign = db.session.scalars(select(Campaign).where(Campaign.slug == "demo")).one()
        institution = db.session.get(Institution, campaign.institution_id)
        assert institution is not None
        unit = db.session.scalars(select(Unit).where(Unit.institution_id == institution.id)).first()
        version = db.session.scalars(select(QuestionnaireVersion)).first()
        run = db.session.scalars(select(ScoreRun).where(ScoreRun.campaign_id == campaign.id)).first()
        user = db.session.scalars(select(User)).first()
        assert unit is not None
        assert version is not None
        assert run is not None
        assert user is not None
        data = [
            *(u.name for u in institution.units),
            institution.name,
            *(c.title for c in db.session.scalars(select(Campaign))),
        ]
        slug = campaign.slug
        pages = [
            "/admin/",
            f"/admin/campaigns/{slug}",
            f"/admin/campaigns/{slug}/results/",
            f"/admin/campaigns/{slug}/invitations/",
            f"/admin/campaigns/{slug}/edit",
            f"/admin/campaigns/{slug}/close",
            f"/admin/campaigns/{slug}/duplicate",
            f"/admin/campaigns/{slug}/corrections/",
            f"/admin/campaigns/{slug}/responses/",
            "/admin/campaigns/new",
            "/admin/audit/",
            "/admin/institutions/",
            f"/admin/institutions/{institution.code}",
            f"/admin/institutions/{institution.code}/units/{unit.code}",
            "/admin/questionnaires/",
            "/admin/users/",
            f"/admin/users/{user.id}",
            "/admin/api-tokens/",
            "/admin/password",
        ]
    return pages, data


def _shown(page: str, data: list[str]) -> str:
    """What a reader sees or hears: the text, and alt, title, aria-label and placeholder attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    attributes = re.findall(r'\b(?:alt|title|aria-label|placeholder)="([^"]*)"', page)
    text = " ".join([re.sub(r"<[^>]+>", " ", page), *attributes])
    text = html.unescape(text)
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    # Addresses and the language switch ("English" / "Bahasa Indonesia" name themselves on every page).
    text = re.sub(r"\S+@\S+|https?://\S+|/\S+", " ", text)
    return text.replace("Bahasa Indonesia", " ").replace("English", " ")


def _words_found(text: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


@pytest.mark.parametrize(("lang", "foreign"), [("id", ENGLISH), ("en", INDONESIAN)])
def test_every_console_page_is_in_one_language(
    demo: tuple[Flask, str, str], lang: str, foreign: tuple[str, ...]
) -> None:
    app, email, password = demo
    client: FlaskClient = app.test_client()
    assert login(client, email, password).status_code == 302  # type: ignore[attr-defined]
    pages, data = _pages(app)
    problems = {}
    for path in pages:
        reply = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        assert reply.status_code == 200, (path, reply.status_code)
        found = _words_found(_shown(reply.get_data(as_text=True), data), foreign)
        if found:
            problems[path] = found
    assert not problems, f"{lang} pages show words of the other language: {problems}"


@pytest.mark.parametrize(("lang", "decimal"), [("id", "77,0"), ("en", "77.0")])
def test_numbers_follow_the_language(demo: tuple[Flask, str, str], lang: str, decimal: str) -> None:
    app, email, password = demo
    client = app.test_client()
    login(client, email, password)
    page = client.get(f"/admin/campaigns/demo/results/?lang={lang}").get_data(as_text=True)
    numbers = re.findall(r">\s*(\d+[.,]\d)\s*<", page)
    assert numbers, "the results table shows no figure"
    separator = decimal[2]
    assert all(n[-2] == separator for n in numbers), numbers


def test_form_errors_are_in_indonesian(demo: tuple[Flask, str, str]) -> None:
    app, email, password = demo
    client = app.test_client()
    login(client, email, password)
    page = client.get("/admin/campaigns/demo/edit?lang=id").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    reply = client.post(
        "/admin/campaigns/demo/edit",
        data={"csrf_token": token.group(1), "target_index": "120", "min_cell": "x"},
    )
    shown = html.unescape(reply.get_data(as_text=True))
    assert reply.status_code == 400
    assert "Angka harus antara 0 dan 100." in shown
    assert "Kolom ini wajib diisi." in shown
    assert "Number must be" not in shown
    assert "This field is required." not in shown


def test_import_problems_are_in_the_console_language(demo: tuple[Flask, str, str]) -> None:
    app, email, password = demo
    client = app.test_client()
    login(client, email, password)
    page = client.get("/admin/institutions/?lang=id").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    bad = b"institution_code,institution_name,unit_code,unit_name\nKOTA-CONTOH,Kota,,Tanpa kode\n"
    reply = client.post(
        "/admin/institutions/import",
        data={"csrf_token": token.group(1), "csv_file": (io.BytesIO(bad), "units.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    shown = html.unescape(reply.get_data(as_text=True))
    assert "units.csv, baris 2: kolom unit_code kosong" in shown
    assert "is empty" not in shown
