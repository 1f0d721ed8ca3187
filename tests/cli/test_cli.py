"""The Flask CLI through ``app.test_cli_runner()``: success paths and clear errors on bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from questionnaires.bundled import load_bundled_questionnaire, questionnaire_paths
from questionnaires.xlsform import export_xlsform
from survey_app.domain.accounts import create_user, set_data_steward
from survey_app.extensions import db
from survey_app.models import Campaign, Invitation, QuestionnaireVersion, Response, Unit
from survey_app.tokens import token_hash
from tests.apptools import Survey

UNITS_CSV = (
    "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
    "KAB,Pemerintah Kabupaten Uji,SETDA,Sekretariat Daerah,,100\n"
    "KAB,Pemerintah Kabupaten Uji,DINAS,Dinas Pendidikan,SETDA,\n"
)


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_questionnaire_validate(runner: FlaskCliRunner, tmp_path: Path) -> None:
    good = runner.invoke(args=["questionnaire", "validate", str(questionnaire_paths()[0])])
    assert good.exit_code == 0, good.output
    assert "valid" in good.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: questionnaire\nid: x\nsections: 3\n", encoding="utf-8")
    bad = runner.invoke(args=["questionnaire", "validate", str(broken)])
    assert bad.exit_code != 0
    assert "broken.yaml:" in bad.output
    assert "problem(s) found" in bad.output


def test_questionnaire_load_is_idempotent(runner: FlaskCliRunner, tmp_path: Path) -> None:
    first = runner.invoke(args=["questionnaire", "load"])
    assert first.exit_code == 0, first.output
    assert first.output.count(" loaded") == len(questionnaire_paths())
    again = runner.invoke(args=["questionnaire", "load"])
    assert again.exit_code == 0
    assert again.output.count("already loaded") == len(questionnaire_paths())
    assert _count(QuestionnaireVersion) == len(questionnaire_paths())
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: questionnaire\n", encoding="utf-8")
    failed = runner.invoke(args=["questionnaire", "load", str(bad)])
    assert failed.exit_code != 0
    assert "is not a valid questionnaire" in failed.output


def test_questionnaire_validate_and_load_xlsform(runner: FlaskCliRunner, tmp_path: Path) -> None:
    workbook = tmp_path / "external.xlsx"
    export_xlsform(load_bundled_questionnaire("spi-external"), workbook)
    valid = runner.invoke(args=["questionnaire", "validate", str(workbook)])
    assert valid.exit_code == 0, valid.output
    loaded = runner.invoke(args=["questionnaire", "load", str(workbook)])
    assert loaded.exit_code == 0, loaded.output
    assert "spi-external" in loaded.output
    assert " loaded" in loaded.output
    # The round trip keeps the questionnaire, so the bundled YAML is the same version.
    bundled = runner.invoke(args=["questionnaire", "load"])
    assert bundled.output.count("already loaded") == 1, bundled.output

    broken = tmp_path / "broken.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "choices"  # type: ignore[union-attr]
    book.save(broken)
    before = _count(QuestionnaireVersion)
    invalid = runner.invoke(args=["questionnaire", "validate", str(broken)])
    assert invalid.exit_code != 0
    assert "broken.xlsx" in invalid.output
    failed = runner.invoke(args=["questionnaire", "load", str(workbook), str(broken)])
    assert failed.exit_code != 0
    assert "broken.xlsx is not a valid questionnaire" in failed.output
    assert _count(QuestionnaireVersion) == before


def test_institution_import_and_errors(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    result = runner.invoke(args=["institution", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new institution(s), 2 new unit(s)" in result.output
    dinas = db.session.scalar(select(Unit).where(Unit.code == "DINAS"))
    assert dinas is not None
    assert dinas.parent is not None
    assert dinas.parent.code == "SETDA"
    assert runner.invoke(args=["institution", "import", str(path)]).exit_code == 0
    assert _count(Unit) == 2

    for content, message in [
        ("institution_code,unit_code\nA,B\n", "missing column(s) institution_name"),
        (UNITS_CSV.replace(",SETDA,\n", ",NOPE,\n"), "line 3: parent_code 'NOPE'"),
        (UNITS_CSV.replace(",100\n", ",banyak\n"), "line 2: population_size 'banyak'"),
    ]:
        path.write_text(content, encoding="utf-8")
        failed = runner.invoke(args=["institution", "import", str(path)])
        assert failed.exit_code != 0
        assert message in failed.output


def _setup(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    assert runner.invoke(args=["institution", "import", str(path)]).exit_code == 0
    assert runner.invoke(args=["questionnaire", "load"]).exit_code == 0


CAMPAIGN = [
    "campaign", "create", "--institution", "KAB", "--title", "SPI Kabupaten Uji", "--slug", "kab-2025",
    "--questionnaire", "internal=spi-internal", "--questionnaire", "external=spi-external",
    "--opens", "2025-01-01", "--closes", "2099-12-31", "--access", "invitation", "--access", "open",
]  # fmt: skip


def test_campaign_create(runner: FlaskCliRunner, tmp_path: Path) -> None:
    _setup(runner, tmp_path)
    result = runner.invoke(args=CAMPAIGN)
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "kab-2025"))
    assert campaign is not None
    assert campaign.allow_open
    assert campaign.profile_id == "spi-2024"
    assert {q.respondent_group for q in campaign.questionnaires} == {"internal", "external"}


def test_campaign_create_refuses_open_access_for_employees_only(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _setup(runner, tmp_path)
    at = CAMPAIGN.index("external=spi-external")
    internal_only = CAMPAIGN[: at - 1] + CAMPAIGN[at + 1 :]
    result = runner.invoke(args=internal_only)
    assert result.exit_code != 0
    assert "open access is not allowed for group internal" in result.output
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "kab-2025")) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--slug", "kab-2025"], "already exists"),
        (["--institution", "NOPE"], "no institution with code 'NOPE'"),
        (["--questionnaire", "expert=spi-internal"], "is for group internal, not expert"),
        (["--questionnaire", "internal"], "expected GROUP=REF"),
        (["--questionnaire", "expert=nothing"], "no stored questionnaire version 'nothing'"),
        (["--closes", "2024-01-01"], "before the open date"),
        (["--profile", "nope"], "no bundled profile 'nope'"),
        (["--opens", "1.1.2025"], "Invalid value for '--opens'"),
    ],
)
def test_campaign_create_bad_input(
    runner: FlaskCliRunner, tmp_path: Path, change: list[str], message: str
) -> None:
    _setup(runner, tmp_path)
    if message == "already exists":
        assert runner.invoke(args=CAMPAIGN).exit_code == 0
    result = runner.invoke(args=CAMPAIGN + change)
    assert result.exit_code != 0
    assert message in result.output


def test_invitations_issue_writes_links_and_qr_codes(runner: FlaskCliRunner, tmp_path: Path) -> None:
    _setup(runner, tmp_path)
    assert runner.invoke(args=CAMPAIGN).exit_code == 0
    out = tmp_path / "links.csv"
    qr = tmp_path / "qr"
    args = ["invitations", "issue", "--campaign", "kab-2025", "--group", "internal", "--unit", "DINAS"]
    result = runner.invoke(
        args=[
            *args,
            "--count",
            "3",
            "--stratum",
            "eselon-4",
            "--weight",
            "2.5",
            "-o",
            str(out),
            "--qr-dir",
            str(qr),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3
    assert all(r["link"].startswith("http://127.0.0.1:5000/r/") for r in rows)
    tokens = [r["link"].rsplit("/", 1)[1] for r in rows]
    stored = db.session.scalars(select(Invitation)).all()
    assert {i.token_hash for i in stored} == {token_hash(t) for t in tokens}
    assert all(i.weight == 2.5 and i.stratum == "eselon-4" for i in stored)
    assert len(list(qr.glob("*.png"))) == 3
    assert (out.stat().st_mode & 0o777) == 0o600

    again = runner.invoke(args=[*args, "--count", "1", "-o", str(out)])
    assert again.exit_code != 0
    assert "exists" in again.output
    for extra, message in [
        (["--unit", "NOPE"], "no unit 'NOPE'"),
        (["--group", "expert"], "has no questionnaire for group 'expert'"),
        (["--weight", "0"], "must be greater than 0"),
        (["--campaign", "nope"], "no campaign with slug 'nope'"),
    ]:
        failed = runner.invoke(args=[*args, "--count", "1", "-o", str(tmp_path / "x.csv"), *extra])
        assert failed.exit_code != 0
        assert message in failed.output
    assert len(db.session.scalars(select(Invitation)).all()) == 3


def test_responses_export_escapes_formulas(
    app: Flask, runner: FlaskCliRunner, survey: Survey, tmp_path: Path
) -> None:
    from datetime import date

    from survey_app.models import CampaignQuestionnaire

    version_id = db.session.scalar(
        select(CampaignQuestionnaire.questionnaire_version_id).where(
            CampaignQuestionnaire.campaign_id == survey.campaign.id
        )
    )
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "DINKES"))
    db.session.add(
        Response(
            campaign_id=survey.campaign.id,
            questionnaire_version_id=version_id,
            respondent_group="internal",
            unit_id=unit_id,
            stratum=None,
            weight=1.0,
            open_access=False,
            answers={
                "q_yes": "ya",
                "q_kind": ["uang", "barang"],
                "q_count": 3,
                "q_name": "=1+2",
                "q_share": -1.5,
            },
            duration_seconds=300,
            submitted_on=date(2025, 3, 4),
        )
    )
    db.session.commit()
    # Row-level exports are for data stewards (the console's rule), named on the command line.
    steward = create_user("steward@example.org", "correct horse battery", "analyst", ["KOTA"])
    set_data_steward(steward, True, by=None)
    db.session.commit()
    out = tmp_path / "responses.csv"
    base = ["responses", "export", "--campaign", survey.campaign.slug, "--steward", "steward@example.org"]
    result = runner.invoke(args=[*base, "-o", str(out), "--include-free-text"])
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["q_kind"] == "uang barang"
    assert row["q_name"] == "'=1+2"
    assert row["q_share"] == "-1.5"
    # One response in DINKES: fewer than the minimum cell size, and so is its parent SETDA (was "DINKES").
    assert row["unit"] == "other"
    assert row["submitted_on"] == "2025-03-04"
    assert row["open_access"] == "0"
    assert row["q_why"] == ""
    labelled = tmp_path / "labelled.csv"
    result = runner.invoke(
        args=[
            *base,
            "-o",
            str(labelled),
            "--labels",
            "--language",
            "en",
        ]
    )
    assert result.exit_code == 0
    (row,) = list(csv.DictReader(labelled.open(encoding="utf-8")))
    assert row["q_yes"] == "Yes"
    assert row["q_kind"] == "Money; Goods"
    missing = runner.invoke(
        args=["responses", "export", "--campaign", "nope", "--steward", "steward@example.org", "-o", str(out)]
    )
    assert missing.exit_code != 0
    assert "no campaign with slug 'nope'" in missing.output


def test_responses_export_needs_a_steward_and_follows_the_console_rules(
    app: Flask, runner: FlaskCliRunner, survey: Survey, tmp_path: Path
) -> None:
    from datetime import date, timedelta

    from survey_app.models import AuditEntry, CampaignQuestionnaire

    version_id = db.session.scalar(
        select(CampaignQuestionnaire.questionnaire_version_id).where(
            CampaignQuestionnaire.campaign_id == survey.campaign.id
        )
    )
    setda = db.session.scalar(select(Unit.id).where(Unit.code == "SETDA"))
    for day in (date.today() - timedelta(days=1), date.today()):
        for _ in range(3):
            db.session.add(
                Response(
                    campaign_id=survey.campaign.id,
                    questionnaire_version_id=version_id,
                    respondent_group="internal",
                    unit_id=setda,
                    stratum=None,
                    weight=1.0,
                    open_access=False,
                    answers={"q_yes": "ya", "q_name": "Pak Budi"},
                    duration_seconds=300,
                    submitted_on=day,
                )
            )
    create_user("analyst@example.org", "correct horse battery", "analyst", ["KOTA"])
    db.session.commit()
    out = tmp_path / "r.csv"
    args = ["responses", "export", "--campaign", survey.campaign.slug, "-o", str(out)]
    refused = runner.invoke(args=[*args, "--steward", "analyst@example.org"])
    assert refused.exit_code != 0
    assert "data-steward right" in refused.output
    granted = runner.invoke(args=["users", "steward", "--email", "analyst@example.org"])
    assert granted.exit_code == 0, granted.output
    result = runner.invoke(args=[*args, "--steward", "analyst@example.org"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    # The campaign is open: today's responses are not released for export yet; free text is left out.
    assert len(rows) == 3
    assert {r["submitted_on"] for r in rows} == {(date.today() - timedelta(days=1)).isoformat()}
    assert "q_name" not in rows[0]
    assert {r["unit"] for r in rows} == {"other"}  # 3 < min_cell, and SETDA has no parent
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["user.steward_grant", "export.responses"]


def test_demo_setup_is_idempotent_and_prints_links(runner: FlaskCliRunner) -> None:
    first = runner.invoke(args=["demo", "setup", "--port", "5055"])
    assert first.exit_code == 0, first.output
    assert first.output.count("http://127.0.0.1:5055/r/") == 6
    assert "http://127.0.0.1:5055/c/demo/external/DPMPTSP" in first.output
    second = runner.invoke(args=["demo", "setup", "--port", "5055"])
    assert second.exit_code == 0, second.output
    assert _count(Campaign) == 2  # and last year's, closed, for the trend
    assert _count(QuestionnaireVersion) == 3
    assert _count(Invitation) == 12
    links = [line.split()[-1] for line in second.output.splitlines() if "/r/" in line]
    assert len(set(links)) == 6
