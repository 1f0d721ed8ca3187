"""The institution's index weights each unit by its population, not by its number of respondents.

The test campaign's units differ in size (SETDA 120 employees, DINKES 300) and in response rate (15 of 120,
60 of 300): combined by respondents SETDA would count 15/75 = 20 % of the internal group, by population it
counts 120/420 = 29 %. The reference is the explicit weighted mean and, where R is installed, R ``survey``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from flask.testing import FlaskClient

from scoring.index import score_responses
from survey_app.domain.questionnaires import campaign_versions
from survey_app.domain.results.runs import campaign_profile, compute_run, responses_frame, table_of
from survey_app.extensions import db
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey

POPULATION = {"SETDA": 120, "DINKES": 300}
ANSWERED = {"SETDA": 15, "DINKES": 60}


def _internal_scores(spi: Survey) -> pd.DataFrame:
    """Every internal respondent's score (NaN where too little was answered), with its unit."""
    campaign = spi.campaign
    scored = score_responses(
        responses_frame(campaign), [q for _, q in campaign_versions(campaign)], campaign_profile(campaign)
    )
    data = scored.data
    internal = data.loc[data["group"] == "internal", ["unit", "score"]].copy()
    internal["score"] = pd.to_numeric(internal["score"], errors="coerce")
    return internal.reset_index(drop=True)


def _overall_internal(spi: Survey) -> dict[str, object]:
    run = compute_run(spi.campaign, "test")
    db.session.flush()
    groups = table_of(run, "overall_groups")
    return dict(groups.loc[groups["group"] == "internal"].iloc[0])


@pytest.fixture
def campaign(spi: Survey) -> Survey:
    add_campaign_responses(spi.campaign, ANSWERED)
    spi.campaign.use_fpc = True
    return spi


def test_institution_estimate_weights_units_by_population(campaign: Survey) -> None:
    scores = _internal_scores(campaign)
    assert scores.groupby("unit").size().to_dict() == ANSWERED
    weight = scores["unit"].map(lambda u: POPULATION[u] / ANSWERED[u])
    ok = scores["score"].notna()
    expected = float((weight * scores["score"])[ok].sum() / weight[ok].sum())
    by_respondents = float(scores.loc[ok, "score"].mean())
    # The units really differ, so the two rules give different answers and the test can tell them apart.
    assert abs(expected - by_respondents) > 0.5

    got = _overall_internal(campaign)
    assert got["estimate"] == pytest.approx(expected, rel=1e-12)
    assert int(got["n"]) == int(ok.sum())


def test_units_keep_their_own_estimate(campaign: Survey) -> None:
    """Weights are constant within unit × group: a unit's own estimate is its respondents' mean."""
    scores = _internal_scores(campaign)
    run = compute_run(campaign.campaign, "test")
    groups = table_of(run, "groups")
    for unit, expected in scores.groupby("unit")["score"].mean().items():
        row = groups[(groups["unit"] == unit) & (groups["group"] == "internal")].iloc[0]
        assert row["estimate"] == pytest.approx(expected, rel=1e-12)


def test_groups_without_population_are_combined_by_respondents(campaign: Survey) -> None:
    run = compute_run(campaign.campaign, "test")
    rules = {r["group"]: r for r in run.parameters["weighting"]}
    assert rules["internal"]["rule"] == "population"
    assert rules["internal"]["population"] == 420
    assert rules["external"]["rule"] == "respondents"
    assert rules["external"]["reason"] == "no_population"
    assert rules["expert"]["rule"] == "respondents"
    groups = table_of(run, "overall_groups")
    external = groups.loc[groups["group"] == "external"].iloc[0]
    frame = score_responses(
        responses_frame(campaign.campaign),
        [q for _, q in campaign_versions(campaign.campaign)],
        campaign_profile(campaign.campaign),
    ).data
    mean = pd.to_numeric(frame.loc[frame["group"] == "external", "score"], errors="coerce").mean()
    assert external["estimate"] == pytest.approx(float(mean), rel=1e-12)


def test_a_unit_without_population_puts_its_group_back_on_respondents(campaign: Survey) -> None:
    setda = next(u for u in campaign.campaign.institution.units if u.code == "SETDA")
    setda.population_size = None
    db.session.flush()
    run = compute_run(campaign.campaign, "test")
    rules = {r["group"]: r for r in run.parameters["weighting"]}
    assert rules["internal"]["rule"] == "respondents"
    assert rules["internal"]["reason"] == "units_without_population"
    assert rules["internal"]["reason_units"] == "SETDA"
    scores = _internal_scores(campaign)
    groups = table_of(run, "overall_groups")
    internal = groups.loc[groups["group"] == "internal"].iloc[0]
    assert internal["estimate"] == pytest.approx(float(scores["score"].mean()), rel=1e-12)


def test_results_page_says_which_weighting_applies(client: FlaskClient, campaign: Survey) -> None:
    compute_run(campaign.campaign, "test")
    db.session.commit()
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    page = client.get(f"/admin/campaigns/{campaign.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert "weighted to each unit&#39;s population" in page or "weighted to each unit's population" in page
    assert "420 people in 2 units" in page
    assert "no population size is known for this group" in page
    page_id = client.get(f"/admin/campaigns/{campaign.campaign.slug}/results/?lang=id").get_data(as_text=True)
    assert "Pembobotan" in page_id


R_SCRIPT = """
library(survey)
d <- read.csv(commandArgs(TRUE)[1])
des <- svydesign(id = ~1, strata = ~unit, weights = ~w, fpc = ~N, data = d)
m <- svymean(~score, des, na.rm = TRUE)
cat(jsonlite::toJSON(list(estimate = as.numeric(coef(m)), se = as.numeric(SE(m))), digits = NA))
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R (Rscript) is not installed")
def test_institution_estimate_equals_r_svymean(campaign: Survey, tmp_path: Path) -> None:
    probe = subprocess.run(
        ["Rscript", "-e", "library(survey); library(jsonlite)"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"R packages survey and jsonlite are not installed: {probe.stderr.strip()[:200]}")
    scores = _internal_scores(campaign)
    scores["w"] = scores["unit"].map(lambda u: POPULATION[u] / ANSWERED[u])
    scores["N"] = scores["unit"].map(POPULATION)
    data = tmp_path / "internal.csv"
    scores.to_csv(data, index=False, na_rep="NA")
    script = tmp_path / "mean.R"
    script.write_text(R_SCRIPT)
    done = subprocess.run(
        ["Rscript", str(script), str(data)], capture_output=True, text=True, check=True, timeout=120
    )
    reference = json.loads(done.stdout)
    got = _overall_internal(campaign)
    assert got["estimate"] == pytest.approx(reference["estimate"][0], rel=1e-9)
    assert got["se"] == pytest.approx(reference["se"][0], rel=1e-9)
    assert np.isfinite(float(str(got["se"])))
