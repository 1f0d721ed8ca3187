"""Issue 17, one language at a time: the problems the questionnaire validator, the XLSForm importer and the
population-list import find in an upload are listed in the console's language (the template translated,
then its fields filled), and the same upload in English lists them in English; the command line keeps the
English text."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import openpyxl
import pytest
from flask.testing import FlaskClient

from questionnaires import validate_text
from tests.admin.admintools import login, make_user
from tests.app.test_one_language import ENGLISH, INDONESIAN, _words_found
from tests.apptools import Survey, csrf_of

URL = "/admin/questionnaires/"

BROKEN_YAML = """\
kind: questionnaire
id: rusak
version: "1"
title: {id: Rusak, en: Broken}
group: internal
languages: [id, en]
sections:
  - id: s1
    title: {id: Bagian, en: Part}
    items:
      - id: q1
        type: select_one
        scale: nope
        label: {id: Tanya, en: Ask}
      - id: q2
        type: slider
        label: {id: Dua, en: Two}
      - id: q3
        type: integer
        label: {id: Tiga}
        min: 10
        max: 5
        relevant: "${q9} = 1"
      - id: q4
        type: text
        label: {id: Empat, en: Four}
        required: maybe
        colour: red
"""

#: What each upload must say, per language (in the words of that language's catalog).
EXPECTED_YAML = {
    "id": (
        "butir 'q1': skala 'nope' tidak dikenal (skala yang didefinisikan: belum ada yang didefinisikan)",
        "butir 'q2'.type: jenis butir 'slider' tidak dikenal; seharusnya salah satu dari:",
        "butir 'q3': max (5) lebih kecil daripada min (10)",
        "butir 'q3'.label: teks 'en' tidak ada",
        "butir 'q3'.relevant: merujuk ke butir yang tidak dikenal ${q9}",
        "butir 'q4'.required: seharusnya true atau false, tertulis teks 'maybe'",
        "bagian 's1', butir 4: kunci 'colour' tidak dikenal; seharusnya salah satu dari:",
    ),
    "en": (
        "item 'q1': unknown scale 'nope' (defined scales: none defined)",
        "item 'q2'.type: unknown item type 'slider'; expected one of:",
        "item 'q3': max (5) is below min (10)",
        "item 'q3'.label: missing the 'en' text",
        "item 'q3'.relevant: refers to unknown item ${q9}",
        "item 'q4'.required: expected true or false, got the text 'maybe'",
        "section 's1', item 4: unknown key 'colour'; expected one of:",
    ),
}
EXPECTED_XLSFORM = {
    "id": (
        "'geopoint' ditolak: lokasi akan mengungkap identitas responden",
        "'slider' bukan jenis pertanyaan XLSForm",
        "kolom 'warna' bukan kolom XLSForm yang dibaca aplikasi ini",
        "lembar 'catatan' bukan lembar XLSForm",
        "lembar 'catatan': lembar 'catatan'",
        # The validator's own check, in XLSForm's words.
        "pertanyaan 'nama_unit' (relevant): merujuk ke pertanyaan yang tidak dikenal ${tidak_ada}",
    ),
    "en": (
        "'geopoint' is refused: a location would identify the respondent",
        "'slider' is not an XLSForm question type",
        "column 'warna' is not an XLSForm column this product reads",
        "sheet 'catatan' is not an XLSForm sheet",
        "sheet 'catatan': sheet 'catatan'",
        "question 'nama_unit' (relevant): refers to unknown question ${tidak_ada}",
    ),
}
FOREIGN = {"id": ENGLISH, "en": INDONESIAN}


def _xlsform(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::Bahasa (id)", "warna", "relevant"])
    survey.append(["text", "nama_unit", "Nama unit", "merah", "${tidak_ada} = 'a'"])
    survey.append(["geopoint", "lokasi", "Lokasi Anda", "", ""])
    survey.append(["slider", "geser", "Geser", "", ""])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "spi_group"])
    settings.append(["rusak", "internal"])
    workbook.create_sheet("catatan").append(["apa saja"])
    workbook.save(path)
    return path


def _upload(client: FlaskClient, name: str, data: bytes, lang: str) -> tuple[int, str]:
    token = csrf_of(client.get(f"{URL}?lang={lang}").get_data(as_text=True))
    reply = client.post(
        URL + "upload",
        data={"csrf_token": token, "definition": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    return reply.status_code, reply.get_data(as_text=True)


def _listed(page: str) -> list[str]:
    """The problems and warnings as listed, without the file and place code before each."""
    items = re.findall(r"<li><code>[^<]*</code>(.*?)</li>", page, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_yaml_problems_are_listed_in_the_console_language(client: FlaskClient, lang: str) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    status, page = _upload(client, "rusak.yaml", BROKEN_YAML.encode(), lang)
    assert status == 400
    listed = _listed(page)
    text = "\n".join(listed)
    for expected in EXPECTED_YAML[lang]:
        assert expected in text, (expected, listed)
    # Every message, not only the expected ones: no word of the other language.
    for message in listed:
        assert not _words_found(message, FOREIGN[lang]), message
    # The command line and str() keep the English text, whatever the console shows.
    english = [p.message for p in validate_text(BROKEN_YAML, "rusak.yaml")]
    assert "item 'q3': max (5) is below min (10)" in english


@pytest.mark.parametrize("lang", ["id", "en"])
def test_xlsform_findings_are_listed_in_the_console_language(
    client: FlaskClient, tmp_path: Path, lang: str
) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    path = _xlsform(tmp_path / "rusak.xlsx")
    status, page = _upload(client, path.name, path.read_bytes(), lang)
    assert status == 400
    listed = _listed(page)
    text = "\n".join(listed)
    for expected in EXPECTED_XLSFORM[lang]:
        assert expected in text, (expected, listed)
    for message in listed:
        assert not _words_found(message, FOREIGN[lang]), message


#: A population list (for invitations) with a problem in every row but the first.
BAD_LIST = (
    b"Satker;Kelompok;Surel;HP\n"
    b"SETDA;internal;a@kota.go.id;\n"
    b"XYZ;internal;b@kota.go.id;\n"
    b"SETDA;internal;bukan-surel;\n"
    b"SETDA;internal;a@kota.go.id;\n"
    b"SETDA;internal;;\n"
)
EXPECTED_LIST = {
    "id": (
        "unit 'XYZ' tidak dikenal",
        "'bukan-surel' bukan alamat e-mail",
        "alamat e-mail 'a@kota.go.id' mengulang baris 2",
        "tidak ada alamat e-mail atau nomor telepon",
    ),
    "en": (
        "unknown unit 'XYZ'",
        "'bukan-surel' is not an e-mail address",
        "e-mail address 'a@kota.go.id' repeats row 2",
        "no e-mail address or phone number",
    ),
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_population_list_problems_are_listed_in_the_console_language(
    client: FlaskClient, spi: Survey, lang: str
) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    base = f"/admin/campaigns/{spi.campaign.slug}/frames"
    reply = client.post(
        f"{base}/upload?lang={lang}",
        data={
            "csrf_token": csrf_of(client.get(f"{base}/?lang={lang}").get_data(as_text=True)),
            "unit_column": "Satker",
            "group_column": "Kelompok",
            "group": "",
            "email_column": "Surel",
            "phone_column": "HP",
            "auxiliary": "",
            "list_file": (io.BytesIO(BAD_LIST), "daftar.csv"),
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400
    page = reply.get_data(as_text=True)
    cells = [
        html.unescape(cell)
        for cell in re.findall(r"<tr><td class=\"num\">\d+</td><td>[^<]*</td><td>([^<]*)</td></tr>", page)
    ]
    assert len(cells) == 4, cells
    for expected in EXPECTED_LIST[lang]:
        assert expected in cells, (expected, cells)
    for message in cells:
        assert not _words_found(message, FOREIGN[lang]), message


SMALL_YAML = """\
kind: questionnaire
id: kecil
version: "1"
title: {id: Kecil, en: Small}
group: internal
languages: [id, en]
sections:
  - id: s1
    title: {id: Bagian, en: Part}
    items:
      - id: q1
        type: text
        label: {id: Nama, en: Name}
"""


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "kuesioner kecil versi 1 sudah tersimpan dengan isi yang berbeda"),
        ("en", "questionnaire kecil version 1 is already stored with different content"),
    ],
)
def test_a_changed_version_is_refused_in_the_console_language(
    client: FlaskClient, lang: str, expected: str
) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    assert _upload(client, "kecil.yaml", SMALL_YAML.encode(), lang)[0] == 200
    status, page = _upload(client, "kecil.yaml", SMALL_YAML.replace("Nama", "Nama lengkap").encode(), lang)
    assert status == 400
    assert expected in html.unescape(page)


#: Problems of the validator that name a line of the questionnaire YAML the import generates, or a row the
#: import did not take: both are given in the sheet's terms, and in the console's language.
EXPECTED_PLACES = {
    "id": (
        "pertanyaan 'q' (relevant): merujuk ke ${dev}, metadata 'deviceid', yang tidak dicatat "
        "(survey!A2 (type))",
        "pertanyaan 'a' (relevant): merujuk ke ${b} yang muncul belakangan (survey baris 5); hanya butir "
        "sebelumnya yang dapat dipakai",
        "name pilihan ganda (pertama dipakai pada choices baris 2)",
    ),
    "en": (
        "question 'q' (relevant): refers to ${dev}, 'deviceid' metadata, which is not recorded "
        "(survey!A2 (type))",
        "question 'a' (relevant): refers to ${b}, which comes later (survey row 5); only earlier items "
        "can be used",
        "duplicate choice name (first used on choices row 2)",
    ),
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_xlsform_problems_naming_rows_are_in_the_console_language(
    client: FlaskClient, tmp_path: Path, lang: str
) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::Bahasa (id)", "relevant"])
    survey.append(["deviceid", "dev", "", ""])
    survey.append(["text", "q", "Tanya", "${dev} != ''"])
    survey.append(["text", "a", "Satu", "${b} != ''"])
    survey.append(["text", "b", "Dua", ""])
    survey.append(["select_one yn", "c", "Tiga", ""])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::Bahasa (id)"])
    choices.append(["yn", "1", "Ya"])
    choices.append(["yn", "1", "Tidak"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "spi_group"])
    settings.append(["tempat", "internal"])
    path = tmp_path / "tempat.xlsx"
    workbook.save(path)
    status, page = _upload(client, path.name, path.read_bytes(), lang)
    assert status == 400
    listed = _listed(page)
    text = "\n".join(listed)
    for expected in EXPECTED_PLACES[lang]:
        assert expected in text, (expected, listed)
    for message in listed:
        assert not _words_found(message, FOREIGN[lang]), message
