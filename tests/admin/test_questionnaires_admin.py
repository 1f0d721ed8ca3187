"""Questionnaires in the console: list, upload YAML/XLSForm (every problem shown, nothing stored when invalid,
"already loaded"), preview in both languages (read-only), and the changes between two versions."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from flask.testing import FlaskClient
from sqlalchemy import func, select

from questionnaires.bundled import load_bundled_questionnaire, questionnaire_paths
from questionnaires.xlsform import export_xlsform
from survey_app.extensions import db
from survey_app.models import AuditEntry, QuestionnaireVersion
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey, csrf_of

URL = "/admin/questionnaires/"


def _yaml(version: str = "2025.1") -> str:
    [path] = [p for p in questionnaire_paths() if p.stem == "spi-internal"]
    text = path.read_text(encoding="utf-8")
    return text.replace('version: "2024.2"', f'version: "{version}"', 1)


def _admin(client: FlaskClient) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")


def _upload(client: FlaskClient, name: str, data: bytes) -> tuple[int, str]:
    token = csrf_of(client.get(URL).get_data(as_text=True))
    response = client.post(
        URL + "upload",
        data={"csrf_token": token, "definition": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def _versions() -> int:
    return int(db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) or 0)


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_list_shows_versions_campaigns_and_responses(client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 3})
    _admin(client)
    page = client.get(URL).get_data(as_text=True)
    for ident in ("spi-internal", "spi-external", "spi-expert"):
        assert ident in page
    assert spi.campaign.slug in page
    assert '<td class="num">3</td>' in page
    # Each version's fingerprint (the start of its content hash), without the developer's "sha256:".
    internal = next(q for q in spi.campaign.questionnaires if q.respondent_group == "internal")
    assert internal.questionnaire_version.content_hash.removeprefix("sha256:")[:12] in page
    assert "sha256:" not in page


def test_valid_yaml_is_loaded_once_and_audited(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    before = _versions()
    status, page = _upload(client, "spi-internal-2025.yaml", _yaml().encode())
    assert status == 200, page
    assert "Loaded spi-internal version 2025.1" in page
    assert _versions() == before + 1
    [entry] = _audits("questionnaire.load")
    assert entry.target == "questionnaire:spi-internal@2025.1"
    assert entry.details["file"] == "spi-internal-2025.yaml"

    status, page = _upload(client, "again.yaml", _yaml().encode())
    assert status == 200
    assert "already loaded" in page
    assert _versions() == before + 1
    assert len(_audits("questionnaire.load")) == 1


def test_invalid_yaml_lists_every_problem_and_stores_nothing(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    before = _versions()
    broken = _yaml().replace("scale: setuju5", "scale: setuju_lima", 2)
    broken = broken.replace("${it_gratifikasi} = 'ya'", "${no_such_item} = 'ya'", 1)
    status, page = _upload(client, "broken.yaml", broken.encode())
    assert status == 400
    assert "Nothing was loaded" in page
    assert "3 problems were found" in page
    lines = broken.splitlines()
    for n, line in enumerate(lines, start=1):
        if "setuju_lima" in line or "no_such_item" in line:
            assert f"broken.yaml:{n}:" in page
    assert _versions() == before
    assert _audits("questionnaire.load") == []


def test_bad_files_get_clear_messages(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    status, page = _upload(client, "notes.txt", b"hello")
    assert status == 400
    assert "expected a .yaml, .yml or .xlsx file" in page
    status, page = _upload(client, "latin.yaml", "id: caf\xe9".encode("latin-1"))
    assert status == 400
    assert "not UTF-8" in page
    status, page = _upload(client, "broken.xlsx", b"not a workbook")
    assert status == 400
    assert "broken.xlsx" in page
    # Same id and version as a stored one but other content: refused, nothing stored.
    before = _versions()
    changed = _yaml("2024.2").replace("Transparency", "Openness", 1)
    status, page = _upload(client, "clash.yaml", changed.encode())
    assert status == 400
    assert "new version number" in page
    assert _versions() == before
    token = csrf_of(client.get(URL).get_data(as_text=True))
    assert client.post(URL + "upload", data={"csrf_token": token}).status_code == 400


def test_xlsform_upload_and_its_problems_by_cell(client: FlaskClient, spi: Survey, tmp_path: Path) -> None:
    _admin(client)
    q = load_bundled_questionnaire("spi-external")
    path = tmp_path / "ext.xlsx"
    export_xlsform(q, path)
    workbook = openpyxl.load_workbook(path)
    workbook["settings"]["B2"] = "2025.9"  # settings: form_id, version, ...
    workbook.save(path)
    status, page = _upload(client, "ext.xlsx", path.read_bytes())
    assert status == 200, page
    assert "Loaded spi-external version 2025.9" in page

    workbook["settings"]["B2"] = "2025.10"
    workbook["survey"]["A3"] = "select_one no_such_list"  # survey: type, name, ...
    workbook.save(path)
    before = _versions()
    status, page = _upload(client, "ext-bad.xlsx", path.read_bytes())
    assert status == 400
    assert "ext-bad.xlsx:3:" in page
    assert "no_such_list" in page
    assert _versions() == before


def _version_id(ident: str, version: str) -> int:
    found = db.session.scalar(
        select(QuestionnaireVersion.id).where(
            QuestionnaireVersion.questionnaire_id == ident, QuestionnaireVersion.version == version
        )
    )
    assert found is not None
    return found


def test_preview_in_both_languages_is_read_only(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    version_id = _version_id("spi-internal", "2024.2")
    page = client.get(f"{URL}{version_id}/preview").get_data(as_text=True)
    assert "Pratinjau" in page or "Preview" in page
    assert "Prosedur, biaya, dan waktu layanan" in page
    assert "<fieldset disabled" in page
    assert 'name="action"' not in page  # no Next/Submit button
    assert 'method="post" action="/r/' not in page
    assert "${it_gratifikasi} = &#39;ya&#39;" in page  # the skip logic is noted
    english = client.get(f"{URL}{version_id}/preview?qlang=en").get_data(as_text=True)
    assert "openly published" in english
    assert "Preview" in english
    assert "Prosedur, biaya" not in english
    # An unknown language falls back to the questionnaire's first language; an unknown version is a 404.
    assert "Prosedur, biaya" in client.get(f"{URL}{version_id}/preview?qlang=xx").get_data(as_text=True)
    assert client.get(f"{URL}999999/preview").status_code == 404


def test_changes_between_two_versions(client: FlaskClient, spi: Survey) -> None:
    _admin(client)
    text = _yaml("2025.1").replace("openly published.", "published on the website.", 1)
    status, _ = _upload(client, "new.yaml", text.encode())
    assert status == 200
    old_id, new_id = _version_id("spi-internal", "2024.2"), _version_id("spi-internal", "2025.1")
    listing = client.get(URL).get_data(as_text=True)
    assert f"/admin/questionnaires/{new_id}/diff?against={old_id}" in listing
    page = client.get(f"{URL}{new_id}/diff?against={old_id}").get_data(as_text=True)
    assert "From version 2024.2 to 2025.1" in page
    assert "tr_info_layanan" in page
    assert "label[en]" in page
    assert "published on the website." in page
    # Without ?against the previous version is the default; a version of another questionnaire is refused.
    assert "label[en]" in client.get(f"{URL}{new_id}/diff").get_data(as_text=True)
    other = _version_id("spi-external", "2024.2")
    refused = client.get(f"{URL}{new_id}/diff?against={other}")
    assert refused.status_code == 400
    assert "Choose another version" in refused.get_data(as_text=True)
    assert client.get(f"{URL}{new_id}/diff?against=abc").status_code == 400
    same = client.get(f"{URL}{old_id}/diff?against={old_id}")
    assert same.status_code == 400
