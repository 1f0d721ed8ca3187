"""``flask calibration upload|show|remove`` through the CLI runner: the console's margins from the command
line, validated whole with every problem by row, stored all or nothing, audit-logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.extensions import db
from survey_app.models import AuditEntry
from survey_app.models.frames import CalibrationMargins
from tests.admin.admintools import BUNDLED
from tests.apptools import Survey, build_survey

ITEM = "tr_info_layanan"
#: As Excel writes under the Indonesian locale: ";" and a decimal comma.
GOOD = f"variable;level;total\n{ITEM};1;40\n{ITEM};2;60\n{ITEM};3;80\n{ITEM};4;100\n{ITEM};5;140,5\n"


@pytest.fixture
def spi(app: Flask) -> Survey:
    return build_survey(app, {g: load_bundled_questionnaire(ident) for g, ident in BUNDLED.items()})


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(CalibrationMargins)) or 0


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _upload(
    runner: FlaskCliRunner, slug: str, path: Path, method: str = "poststratify", group: str = "internal"
):  # type: ignore[no-untyped-def]
    return runner.invoke(
        args=["calibration", "upload", "--campaign", slug, "--group", group, "--method", method, str(path)]
    )


def test_bad_margins_list_every_problem_by_row_and_store_nothing(
    runner: FlaskCliRunner, spi: Survey, tmp_path: Path
) -> None:
    bad = tmp_path / "margins.csv"
    bad.write_text(
        "variable,level,total\n"
        f"{ITEM},1,40\n"
        f"{ITEM},7,10\n"
        "jenis_kelamin,L,200\n"
        f"{ITEM},2,-5\n"
        f"{ITEM},3,banyak\n"
        f"{ITEM},1,40\n",
        encoding="utf-8",
    )
    done = _upload(runner, spi.campaign.slug, bad)
    assert done.exit_code == 1
    lines = done.stderr.splitlines()
    assert (
        f"margins.csv: row 3, column 'level': unknown level '7' of {ITEM} (its options: 1, 2, 3, 4, 5, dk)"
        in lines
    )
    assert any(
        line.startswith("margins.csv: row 4, column 'variable': unknown item 'jenis_kelamin'")
        for line in lines
    )
    assert "margins.csv: row 5, column 'total': a total cannot be negative (-5)" in lines
    assert "margins.csv: row 6, column 'total': 'banyak' is not a number" in lines
    assert f"margins.csv: row 7: {ITEM} = '1' repeats row 2" in lines
    assert any(f"{ITEM}: level(s) 4, 5 missing from the margins" in line for line in lines)
    assert "Error: margins.csv: 6 problem(s), nothing was stored" in lines
    assert "Traceback" not in done.output
    assert _stored() == 0
    assert not _audit("calibration.upload")
    # The method is the command's choice, checked before anything is read.
    wrong = _upload(runner, spi.campaign.slug, bad, method="greg")
    assert wrong.exit_code == 2
    assert "'greg' is not one of 'poststratify', 'rake', 'linear'" in wrong.output
    # A campaign that does not exist says so.
    unknown = _upload(runner, "nope", bad)
    assert unknown.exit_code == 1
    assert "no campaign with slug 'nope' (known: kota-2025)" in unknown.output


def test_upload_show_and_remove_are_the_consoles(runner: FlaskCliRunner, spi: Survey, tmp_path: Path) -> None:
    good = tmp_path / "daftar-margin.csv"
    good.write_text(GOOD, encoding="utf-8")
    done = _upload(runner, spi.campaign.slug, good)
    assert done.exit_code == 0, done.output
    assert f"5 margin(s) of {ITEM} stored for group internal of kota-2025 (poststratify)" in done.output
    stored = db.session.scalars(select(CalibrationMargins)).one()
    assert (stored.respondent_group, stored.method, stored.uploaded_by) == (
        "internal",
        "poststratify",
        "system",
    )
    assert [m["total"] for m in stored.margins] == [40, 60, 80, 100, 140.5]
    entry = _audit("calibration.upload")[0]
    assert entry.user_email == "system"
    assert entry.target == "campaign:kota-2025"
    assert entry.details == {
        "group": "internal",
        "method": "poststratify",
        "file": "daftar-margin.csv",
        "variables": [ITEM],
        "rows": 5,
    }

    shown = runner.invoke(args=["calibration", "show", "--campaign", spi.campaign.slug])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == "group,method,variable,level,total,uploaded_at,uploaded_by"
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["internal", "poststratify", ITEM, "1", "40"],
        ["internal", "poststratify", ITEM, "2", "60"],
        ["internal", "poststratify", ITEM, "3", "80"],
        ["internal", "poststratify", ITEM, "4", "100"],
        ["internal", "poststratify", ITEM, "5", "140.5"],
    ]
    # What show prints uploads again as it is (its extra columns are ignored), here for raking; the group's
    # earlier margins are replaced, not added to.
    again = tmp_path / "again.csv"
    again.write_text(shown.stdout, encoding="utf-8")
    assert _upload(runner, spi.campaign.slug, again, method="rake").exit_code == 0
    assert db.session.scalars(select(CalibrationMargins)).one().method == "rake"
    none = runner.invoke(args=["calibration", "show", "--campaign", spi.campaign.slug, "--group", "external"])
    assert none.exit_code == 0
    assert none.stdout == ""
    assert "kota-2025 has no margins for group external" in none.stderr

    removed = runner.invoke(
        args=["calibration", "remove", "--campaign", spi.campaign.slug, "--group", "internal"]
    )
    assert removed.exit_code == 0, removed.output
    assert "margins of group internal of kota-2025 removed" in removed.output
    assert _stored() == 0
    assert [e.details for e in _audit("calibration.remove")] == [{"group": "internal"}]
    twice = runner.invoke(
        args=["calibration", "remove", "--campaign", spi.campaign.slug, "--group", "internal"]
    )
    assert twice.exit_code == 1
    assert "group 'internal' of campaign kota-2025 has no margins" in twice.output
    assert len(_audit("calibration.remove")) == 1


def test_a_bootstrapped_campaign_is_refused_with_the_rows_problems(
    runner: FlaskCliRunner, spi: Survey, tmp_path: Path
) -> None:
    spi.campaign.variance_method = "bootstrap"
    db.session.commit()
    path = tmp_path / "m.csv"
    path.write_text(GOOD.replace(";140,5", ";-1"), encoding="utf-8")
    done = _upload(runner, spi.campaign.slug, path, method="linear")
    assert done.exit_code == 1
    assert "m.csv: row 6, column 'total': a total cannot be negative (-1)" in done.stderr
    assert "calibration needs linearization" in done.stderr
    assert _stored() == 0
