"""Response downloads read back with pandas and pyreadstat equal the stored answers; each one is audited."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from questionnaires.model import ItemType
from survey_app.extensions import db
from survey_app.models import AuditEntry, Response
from tests.admin.admintools import BUNDLED, add_campaign_responses, login, make_user
from tests.apptools import Survey


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_response_downloads_equal_stored_answers(
    app: Flask, client: FlaskClient, spi: Survey, fmt: str
) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 4, "DINKES": 3})
    spi.campaign.status = "closed"  # every response, not only those submitted before today
    db.session.commit()
    make_user("analyst", ["KOTA"], steward=True)
    login(client, "analyst@example.org")
    response = client.get(f"/admin/campaigns/{spi.campaign.slug}/responses/internal.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        frame = pd.read_csv(io.BytesIO(response.data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        frame = pd.read_excel(io.BytesIO(response.data), sheet_name="data", dtype=str)
    else:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"x.{fmt}"
            path.write_bytes(response.data)
            reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
            frame, _meta = reader(str(path))
    stored = {
        str(r.id): r.answers
        for r in db.session.scalars(
            select(Response).where(
                Response.campaign_id == spi.campaign.id, Response.respondent_group == "internal"
            )
        )
    }
    assert len(frame) == len(stored) == 7
    questionnaire = load_bundled_questionnaire(BUNDLED["internal"])
    # A select_one item with text codes, present in every format under its own name.
    item = next(
        i
        for i in questionnaire.iter_items()
        if i.type is ItemType.SELECT_ONE and i.id in frame.columns and i.relevant is None
    )
    by_id = frame.set_index("response_id")[item.id]
    for response_id, answers in stored.items():
        cell = by_id[response_id]
        expected = answers.get(item.id)
        assert str(cell) == str(expected) or (expected is not None and float(cell) == float(expected))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.responses"))
    assert entry is not None
    assert entry.details == {"group": "internal", "format": fmt, "rows": 7, "free_text": False}
