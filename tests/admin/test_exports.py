"""Response downloads read back with pandas and pyreadstat equal the stored answers; each one is audited."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from questionnaires.model import ItemType, Questionnaire
from survey_app.domain.files import numeric_codes
from survey_app.extensions import db
from survey_app.models import AuditEntry, Response, Unit
from tests.admin.admintools import BUNDLED, add_campaign_responses, login, make_user
from tests.apptools import Survey, build_survey


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
            frame, _meta = reader(str(path), user_missing=True)
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
    # Every select_one item, under its own name: its code in CSV and XLSX; in .sav/.dta the number of the
    # documented mapping (numeric_codes), "don't know" as -8 in SPSS (user-missing) and .a in Stata.
    by_id = frame.set_index("response_id")
    checked = 0
    for item in questionnaire.iter_items():
        if item.type is not ItemType.SELECT_ONE or item.id not in frame.columns:
            continue
        scale = questionnaire.scale_of(item)
        assert scale is not None
        codes = numeric_codes(scale)
        for response_id, answers in stored.items():
            cell = by_id.loc[response_id, item.id]
            expected = answers.get(item.id)
            if expected is None:
                assert pd.isna(cell) or cell == ""
            elif fmt in ("csv", "xlsx"):
                assert str(cell) == str(expected)
            else:
                number = codes[expected].number if fmt == "sav" else codes[expected].stata
                assert cell == number
            checked += expected is not None
    assert checked > 100
    if fmt in ("sav", "dta"):
        dont_know = "a" if fmt == "dta" else -8
        assert (by_id == dont_know).any().any()  # the synthetic answers hold "don't know"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.responses"))
    assert entry is not None
    assert entry.details == {"group": "internal", "format": fmt, "rows": 7, "free_text": False}


def _csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _responses(campaign: object, unit: str, count: int, day: date, answers: dict[str, object]) -> None:
    from survey_app.models import Campaign, CampaignQuestionnaire

    assert isinstance(campaign, Campaign)
    link = db.session.scalar(
        select(CampaignQuestionnaire).where(
            CampaignQuestionnaire.campaign_id == campaign.id,
            CampaignQuestionnaire.respondent_group == "internal",
        )
    )
    assert link is not None
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit))
    for _ in range(count):
        db.session.add(
            Response(
                campaign_id=campaign.id,
                questionnaire_version_id=link.questionnaire_version_id,
                respondent_group="internal",
                unit_id=unit_id,
                stratum=None,
                weight=1.0,
                open_access=False,
                answers=answers,
                duration_seconds=300,
                submitted_on=day,
            )
        )
    db.session.commit()


def test_an_analyst_without_the_steward_right_is_refused_and_told_why(
    client: FlaskClient, spi: Survey
) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6})
    spi.campaign.status = "closed"
    db.session.commit()
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    refused = client.get(f"/admin/campaigns/{spi.campaign.slug}/responses/internal.csv?lang=en")
    assert refused.status_code == 403
    assert "data-steward right" in refused.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.responses")) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.refused"))
    assert entry is not None
    assert entry.user_email == "analyst@example.org"
    assert entry.target == f"campaign:{spi.campaign.slug}"
    assert entry.details == {"reason": "not_steward", "group": "internal", "format": "csv"}


def test_a_download_before_any_response_is_released_is_refused_and_audited(
    client: FlaskClient, mini: Questionnaire, app: Flask
) -> None:
    """Issue 12, "who may read what": an open campaign's responses are downloadable from the day after they
    came in; a steward who asks for a group with none released yet is refused, told why, and the refusal is
    in the audit log, with nothing of the responses."""
    survey = build_survey(app, {"internal": mini})
    answers = {"q_yes": "tidak", "q_count": 2, "q_why": "Pak Budi di loket 3"}
    _responses(survey.campaign, "SETDA", 6, date.today(), answers)
    make_user("analyst", ["KOTA"], steward=True)
    login(client, "analyst@example.org")
    refused = client.get(f"/admin/campaigns/{survey.campaign.slug}/responses/internal.csv?lang=en")
    assert refused.status_code == 403
    assert "none of this group's responses came in before today" in refused.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.refused"))
    assert entry is not None
    assert entry.details == {"reason": "not_released", "group": "internal", "format": "csv"}
    assert "Pak Budi" not in str(entry.details)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.responses")) is None


def test_exports_hold_released_rows_coarse_units_and_free_text_on_request(
    client: FlaskClient, mini: Questionnaire, app: Flask
) -> None:
    survey = build_survey(app, {"internal": mini})
    yesterday, today = date.today() - timedelta(days=1), date.today()
    answers = {"q_yes": "tidak", "q_count": 2, "q_why": "Pak Budi di loket 3"}
    _responses(survey.campaign, "SETDA", 5, yesterday, answers)
    _responses(survey.campaign, "DINKES", 2, yesterday, answers)  # small: shown as its parent SETDA
    _responses(survey.campaign, "DINKES", 4, today, answers)  # not released for export yet
    make_user("analyst", ["KOTA"], steward=True)
    login(client, "analyst@example.org")
    page = client.get(f"/admin/campaigns/{survey.campaign.slug}/responses/?lang=en").get_data(as_text=True)
    assert "Free-text answers can identify people." in page
    assert "include free text" in page
    url = f"/admin/campaigns/{survey.campaign.slug}/responses/internal.csv"
    frame = _csv(client.get(url).data)
    assert len(frame) == 7
    assert set(frame["submitted_on"]) == {yesterday.isoformat()}
    assert set(frame["unit"]) == {"SETDA"}
    assert "q_why" not in frame.columns
    assert "q_name" not in frame.columns
    with_text = _csv(client.get(url + "?free_text=1").data)
    assert set(with_text["q_why"]) == {"Pak Budi di loket 3"}
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.responses")).all()
    assert [e.details["free_text"] for e in entries] == [False, True]
    survey.campaign.status = "closed"
    db.session.commit()
    closed = _csv(client.get(url).data)
    assert len(closed) == 11  # closed: every response; DINKES has 6 now and shows as itself
    assert sorted(set(closed["unit"])) == ["DINKES", "SETDA"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "dta"])
def test_each_download_is_a_zip_with_scripts_that_load_it(
    client: FlaskClient, spi: Survey, fmt: str, tmp_path: Path
) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 4, "DINKES": 3})
    spi.campaign.status = "closed"
    db.session.commit()
    make_user("analyst", ["KOTA"], steward=True)
    login(client, "analyst@example.org")
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/responses/?lang=en").get_data(as_text=True)
    assert f"/responses/internal.{fmt}.zip" in page
    assert "an R script and a Stata do-file" in page
    page_id = client.get(f"/admin/campaigns/{spi.campaign.slug}/responses/?lang=id").get_data(as_text=True)
    assert "skrip R dan do-file Stata" in page_id
    response = client.get(f"/admin/campaigns/{spi.campaign.slug}/responses/internal.{fmt}.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    stem = f"{spi.campaign.slug}-internal-responses"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{stem}.{fmt}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == [f"{stem}.{fmt}", f"{stem}.R", f"{stem}.do"]
    archive.extractall(tmp_path)
    do_file = (tmp_path / f"{stem}.do").read_text(encoding="utf-8")
    assert f'"{stem}.{fmt}"' in do_file
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export.responses"))
    assert entry is not None
    assert entry.details == {
        "group": "internal",
        "format": fmt,
        "rows": 7,
        "free_text": False,
        "bundle": True,
    }

    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript not found: the shipped R script is not run")
    done = subprocess.run(
        [
            rscript,
            "-e",
            f'source("{stem}.R"); cat("\\nROWS", nrow(responses), "\\n"); '
            'cat("LABELLED", sum(vapply(responses, haven::is.labelled, logical(1))), "\\n")',
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if "there is no package called" in done.stderr:
        pytest.skip(f"an R package is missing: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert "ROWS 7" in done.stdout
    labelled = int(done.stdout.split("LABELLED")[1].split()[0])
    assert labelled > 40  # every choice item and select_multiple indicator
