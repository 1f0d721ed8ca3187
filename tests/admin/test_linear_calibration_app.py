"""Linear (GREG) calibration on a numeric item, end to end in the app: a questionnaire with years of service
(an integer question) and sex (a single-choice question), responses stored through the domain, margins
uploaded through the console with a numeric total, a computed run, and its calibrated estimates and SEs
against R ``survey``'s ``calibrate(..., calfun = "linear")`` run here by Rscript on the same respondents."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from questionnaires.model import Questionnaire
from scoring.index import compute_index
from survey_app.domain.questionnaires import campaign_versions
from survey_app.domain.results.runs import (
    BY,
    campaign_profile,
    compute_run,
    responses_frame,
    table_of,
    with_campaign_design,
)
from survey_app.domain.synthetic import add_responses
from survey_app.extensions import db
from survey_app.models import CampaignQuestionnaire, ScoreRun, Unit
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, build_survey, csrf_of

#: Units SETDA and DINKES of :func:`tests.apptools.build_survey` have 120 and 300 employees.
POPULATION = {"SETDA": 120.0, "DINKES": 300.0}
#: The known margins: 180 women, 240 men, and 420 employees with 5,460 years of service between them (13
#: years on average, well above the sample's: the calibration has something to do).
MARGINS = "variable;level;total\njenis_kelamin;P;180\njenis_kelamin;L;240\nmasa_kerja;;5.460\n"

R_SCRIPT = r"""
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d$unit <- factor(d$unit, levels = c("DINKES", "SETDA"))
d$jenis_kelamin <- factor(d$jenis_kelamin, levels = c("L", "P"))
des <- svydesign(id = ~1, strata = ~unit, weights = ~w, fpc = ~N, data = d)
# The app keeps each unit's population as a margin beside the uploaded ones (its group is weighted to the
# units' populations), so the units are calibration variables too.
cal <- calibrate(des, ~unit + jenis_kelamin + masa_kerja,
                 c(`(Intercept)` = 420, unitSETDA = 120, jenis_kelaminP = 180, masa_kerja = 5460),
                 calfun = "linear")
scored <- !is.na(d$score)
# Post-stratification on sex alone moves the units' totals away from their populations.
ps <- postStratify(des, ~jenis_kelamin, data.frame(jenis_kelamin = c("L", "P"), Freq = c(240, 180)))
out <- list()
for (nm in c("linear", "poststratify")) {
  design <- list(linear = cal, poststratify = ps)[[nm]]
  b <- svyby(~score, ~unit, design, svymean, na.rm = TRUE)
  whole <- svymean(~score, design, na.rm = TRUE)
  totals <- svytotal(~masa_kerja + jenis_kelamin, design)
  # The weight with which each unit's scored respondents count in the institution's estimate.
  shares <- tapply(weights(design)[scored], d$unit[scored], sum)
  out[[nm]] <- list(unit = as.character(b$unit), estimate = as.numeric(coef(b)), se = as.numeric(SE(b)),
                    all = as.numeric(coef(whole)), all_se = as.numeric(SE(whole)),
                    totals = as.numeric(coef(totals)), share_unit = names(shares),
                    share = as.numeric(shares))
}
cat(toJSON(out, digits = NA))
"""


def _questionnaire() -> Questionnaire:
    """Two scored sections of the SPI internal questionnaire and a section about the respondent."""
    spi = load_bundled_questionnaire("spi-internal").to_dict()
    sections = [s for s in spi["sections"] if s["id"] in ("transparansi", "sosialisasi_antikorupsi")]
    sections.append(
        {
            "id": "tentang_anda",
            "title": {"id": "Tentang Anda", "en": "About you"},
            "items": [
                {
                    "id": "masa_kerja",
                    "type": "integer",
                    "label": {"id": "Masa kerja (tahun)?", "en": "Years of service?"},
                    "minimum": 0,
                    "maximum": 20,
                },
                {
                    "id": "jenis_kelamin",
                    "type": "select_one",
                    "scale": "jenis_kelamin",
                    "label": {"id": "Jenis kelamin?", "en": "Sex?"},
                },
            ],
        }
    )
    scales = {
        **spi["scales"],
        "jenis_kelamin": {
            "id": "jenis_kelamin",
            "kind": "nominal",
            "options": [
                {"code": "L", "label": {"id": "Laki-laki", "en": "Male"}},
                {"code": "P", "label": {"id": "Perempuan", "en": "Female"}},
            ],
        },
    }
    return Questionnaire.from_dict(
        {**spi, "id": "spi-internal-profil", "version": "1", "sections": sections, "scales": scales}
    )


@pytest.fixture
def survey(app: Flask) -> Survey:
    return build_survey(app, {"internal": _questionnaire()})


def _add_responses(survey: Survey) -> None:
    """45 respondents in SETDA and 60 in DINKES, stored as the respondent pages store them."""
    rng = np.random.default_rng(29)
    link = db.session.scalars(
        select(CampaignQuestionnaire).where(CampaignQuestionnaire.campaign_id == survey.campaign.id)
    ).one()
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    questionnaire = _questionnaire()
    for code, count, tilt in (("SETDA", 45, 0.75), ("DINKES", 60, 0.35)):
        add_responses(
            survey.campaign,
            link.questionnaire_version_id,
            questionnaire,
            units[code],
            count,
            rng,
            tilt=tilt,
            submitted_on=survey.campaign.opens_on,
        )
    db.session.commit()


def _r_reference(data: pd.DataFrame, tmp_path: Path) -> dict[str, Any]:
    probe = subprocess.run(
        ["Rscript", "-e", "library(survey); library(jsonlite)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"R packages survey and jsonlite are not installed: {probe.stderr.strip()[:200]}")
    csv = tmp_path / "internal.csv"
    data.to_csv(csv, index=False, na_rep="NA")
    script = tmp_path / "calibrate.R"
    script.write_text(R_SCRIPT)
    done = subprocess.run(
        ["Rscript", str(script), str(csv)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    reference: dict[str, Any] = json.loads(done.stdout)
    return reference


def _upload(client: FlaskClient, survey: Survey, method: str, margins: str) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    base = f"/admin/campaigns/{survey.campaign.slug}/calibration"
    page = client.post(
        f"{base}/upload?lang=en",
        data={
            "csrf_token": csrf_of(client.get(f"{base}/?lang=en").get_data(as_text=True)),
            "group": "internal",
            "method": method,
            "margins_file": (io.BytesIO(margins.encode()), "margins.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert page.status_code == 200, page.get_data(as_text=True)


def _respondents(survey: Survey) -> pd.DataFrame:
    """The respondents as a run sees them: their scores, population weights N/n and fpc, and the two
    answers."""
    frame, _ = with_campaign_design(responses_frame(survey.campaign), survey.campaign)
    plain = compute_index(
        frame, [q for _, q in campaign_versions(survey.campaign)], campaign_profile(survey.campaign), by=BY
    )
    assert plain.scored is not None
    scored = plain.scored.data
    data = pd.DataFrame(
        {
            "unit": scored["unit"].astype(str),
            "score": pd.to_numeric(scored["score"], errors="coerce"),
            "w": pd.to_numeric(scored["weight"]),
            "N": pd.to_numeric(scored["fpc"]),
            "masa_kerja": pd.to_numeric(frame.loc[scored.index, "masa_kerja"]),
            "jenis_kelamin": frame.loc[scored.index, "jenis_kelamin"].astype(str),
        }
    )
    assert data.groupby("unit")["w"].sum().to_dict() == pytest.approx(POPULATION)
    assert set(data["jenis_kelamin"]) == {"L", "P"}
    return data


def _check_against_r(run: ScoreRun, reference: dict[str, Any]) -> pd.Series:
    """The run's calibrated unit and institution cells equal R's; its ``cell_weights`` are R's calibrated
    weights per unit, and with them the institution's cell is the weighted mean of the units' cells (the
    identity disclosure control writes down). Returns the cell weights per unit."""
    groups = table_of(run, "groups").set_index("unit")
    for unit, estimate, se in zip(reference["unit"], reference["estimate"], reference["se"], strict=True):
        row = groups.loc[unit]
        assert row["group"] == "internal"
        assert row["estimate"] == pytest.approx(estimate, abs=1e-6)
        assert row["se"] == pytest.approx(se, abs=1e-6)
    whole = table_of(run, "overall_groups")
    internal = whole[whole["group"] == "internal"].iloc[0]
    assert internal["estimate"] == pytest.approx(reference["all"][0], abs=1e-6)
    assert internal["se"] == pytest.approx(reference["all_se"][0], abs=1e-6)
    weights = table_of(run, "cell_weights")
    shares = weights[weights["group"] == "internal"].set_index("unit")["weight"]
    for unit, share in zip(reference["share_unit"], reference["share"], strict=True):
        assert shares[unit] == pytest.approx(share, abs=1e-6)
    combined = sum(shares[u] * groups.loc[u, "estimate"] for u in shares.index) / shares.sum()
    assert internal["estimate"] == pytest.approx(combined, abs=1e-9)
    return shares


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (Rscript) is not installed")
def test_linear_calibration_on_a_numeric_item_equals_r_survey(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    _add_responses(survey)
    _upload(client, survey, "linear", MARGINS)
    run = compute_run(survey.campaign, "boss@example.org")
    db.session.commit()
    rules = {w["group"]: w for w in run.parameters["weighting"]}
    assert rules["internal"]["rule"] == "population"
    assert rules["internal"]["calibration"] == {
        "method": "linear",
        "variables": ["jenis_kelamin", "masa_kerja"],
        "units_kept": True,
    }
    data = _respondents(survey)
    # The sample's own estimate of the years of service is far from the margin's 5,460.
    assert abs(float((data["w"] * data["masa_kerja"]).sum()) - 5460) > 300
    reference = _r_reference(data, tmp_path)["linear"]
    # R's calibrated weights reproduce the margins (years of service, then men and women).
    assert reference["totals"] == pytest.approx([5460, 240, 180], abs=1e-6)
    shares = _check_against_r(run, reference)
    # The units' populations are a margin: each unit keeps its size (every respondent has a score here).
    assert shares.to_dict() == pytest.approx(POPULATION, abs=1e-6)
    # ... and the estimate is not the population-weighted mean the group had without the margins.
    internal = table_of(run, "overall_groups").set_index("group").loc["internal", "estimate"]
    uncalibrated = np.average(data["score"].dropna(), weights=data.loc[data["score"].notna(), "w"])
    assert abs(internal - uncalibrated) > 0.05

    html = client.get(f"/admin/campaigns/{survey.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert (
        "Then calibrated to known population margins (linear calibration) on: jenis_kelamin, masa_kerja."
        in html
    )
    assert "The units' populations are kept as a margin" in html.replace("&#39;", "'")


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (Rscript) is not installed")
def test_post_stratified_cell_weights_are_the_calibrated_ones(
    client: FlaskClient, survey: Survey, tmp_path: Path
) -> None:
    """Post-stratification on sex moves the units' totals: disclosure control weighs the units' cells with
    the calibrated weights the estimate used, not with the units' populations."""
    _add_responses(survey)
    _upload(
        client, survey, "poststratify", "variable,level,total\njenis_kelamin,P,180\njenis_kelamin,L,240\n"
    )
    run = compute_run(survey.campaign, "boss@example.org")
    db.session.commit()
    rules = {w["group"]: w for w in run.parameters["weighting"]}
    assert rules["internal"]["calibration"]["units_kept"] is False
    reference = _r_reference(_respondents(survey), tmp_path)["poststratify"]
    shares = _check_against_r(run, reference)
    assert abs(shares["SETDA"] - POPULATION["SETDA"]) > 1
