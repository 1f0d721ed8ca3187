"""XLSForm uploads in the console: the language asked for a form without language columns, the checkbox that
imports without refused items, the warnings listed, attached CSV files, and upload bombs refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion
from tests.admin.admintools import login, make_user
from tests.apptools import csrf_of
from tests.questionnaires.xlsform_corpus import BY_NAME

URL = "/admin/questionnaires/"


def _admin(client: FlaskClient) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")


def _upload(client: FlaskClient, path: Path, **fields: Any) -> tuple[int, str]:
    token = csrf_of(client.get(URL).get_data(as_text=True))
    data: dict[str, Any] = {"csrf_token": token, "definition": (io.BytesIO(path.read_bytes()), path.name)}
    attachments = fields.pop("attachments", {})
    if attachments:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in attachments.items()]
    data.update(fields)
    response = client.post(URL + "upload", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def _versions() -> int:
    return int(db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) or 0)


def test_the_language_is_asked_for_a_form_without_language_columns(
    client: FlaskClient, tmp_path: Path
) -> None:
    _admin(client)
    path = BY_NAME["no_language_suffix"].build(tmp_path)
    page = client.get(URL).get_data(as_text=True)
    assert 'name="language"' in page
    assert 'name="skip_refused"' in page
    status, page = _upload(client, path)
    assert status == 400
    assert "do not say which language" in page
    assert 'aria-invalid="true"' in page
    assert _versions() == 0
    status, page = _upload(client, path, language="id")
    assert status == 200, page
    assert "Loaded no_language_suffix version 1" in page
    stored = db.session.scalars(select(QuestionnaireVersion)).one()
    assert '"languages":["id"]' in stored.canonical_json


def test_refused_items_block_the_upload_until_the_box_is_ticked(client: FlaskClient, tmp_path: Path) -> None:
    _admin(client)
    path = BY_NAME["geopoint_refused"].build(tmp_path)
    status, page = _upload(client, path)
    assert status == 400
    assert "survey!A2 (type): &#39;geopoint&#39; is refused: a location would identify the respondent" in page
    assert "Only refused items stand in the way" in page
    assert _versions() == 0
    status, page = _upload(client, path, skip_refused="y")
    assert status == 200, page
    assert "Imported with warnings" in page
    assert "left out: &#39;geopoint&#39; is refused" in page
    assert "left out: &#39;image&#39; is refused" in page
    assert _versions() == 1


def test_warnings_are_listed_after_a_successful_upload(client: FlaskClient, tmp_path: Path) -> None:
    _admin(client)
    status, page = _upload(client, BY_NAME["kobo_service_survey"].build(tmp_path))
    assert status == 200, page
    assert "Loaded kobo_service version 2024.3" in page
    assert "survey!A5 (type): &#39;deviceid&#39; (the device id) is not recorded" in page
    assert "appearance &#39;likert&#39; is not imported" in page


def test_an_attached_csv_feeds_select_one_from_file(client: FlaskClient, tmp_path: Path) -> None:
    _admin(client)
    form = BY_NAME["select_from_file"]
    path = form.build(tmp_path)
    status, page = _upload(client, path)
    assert status == 400
    assert "&#39;units.csv&#39; is not attached" in page
    status, page = _upload(client, path, attachments=form.attachments)
    assert status == 200, page
    stored = db.session.scalars(select(QuestionnaireVersion)).one()
    assert '"code":"hr"' in stored.canonical_json


def test_upload_bombs_are_refused_with_a_message(client: FlaskClient, tmp_path: Path) -> None:
    _admin(client)
    path = tmp_path / "far.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet["XFD1048576"] = "x"
    workbook.save(path)
    status, page = _upload(client, path)
    assert status == 400
    assert "survey!XFD1048576 holds a value, beyond the 100,000 rows and 300 columns" in page
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
        ),
        encoding="utf-8",
    )
    status, page = _upload(client, laughs)
    assert status == 400
    assert "billion laughs" in page
    assert _versions() == 0
