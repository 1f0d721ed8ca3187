"""Compute a campaign's results and store them as a :class:`ScoreRun` (everything needed to reproduce it)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import select

from questionnaires.profile import ScoringProfile
from scoring.index import compute_index, index_from_scores
from scoring.index.groups import calibrated_weights
from scoring.index.weights import population_weights
from scoring.quality import data_quality
from survey_app.domain.calibration import calibration_for
from survey_app.domain.corrections import cases_frame
from survey_app.domain.disclosure import effective_min_cell
from survey_app.domain.errors import NoResponsesError
from survey_app.domain.frames import frame_populations
from survey_app.domain.questionnaires import campaign_versions
from survey_app.domain.results.files import ResultsMetadata, software_version
from survey_app.domain.results.loading import read_responses
from survey_app.domain.results.questions import question_tables
from survey_app.extensions import db
from survey_app.models import Campaign, ScoreRun

BY = ("institution", "unit")
TABLES = ("index", "groups", "dimensions", "quality_units", "quality_flags")


def campaign_profile(campaign: Campaign) -> ScoringProfile:
    """The campaign's stored profile, with the minimum cell size that applies (:mod:`..disclosure`)."""
    profile = ScoringProfile.from_dict(json.loads(campaign.profile_json))
    return dataclasses.replace(profile, min_cell=effective_min_cell(campaign))


def responses_frame(campaign: Campaign) -> pd.DataFrame:
    return read_responses(
        db.session.connection(), campaign.id, campaign.institution.code, campaign_versions(campaign)
    )


def campaign_populations(campaign: Campaign) -> pd.DataFrame:
    """The known population sizes of the campaign: ``unit, group, population``.

    A population list uploaded for a unit and group (:mod:`survey_app.domain.frames`) gives its size; where
    there is none, a unit's population size (its employees, from the institutions page or the units CSV) is
    the population of its internal group. Service users and experts without a list have no known population.
    """
    frames = frame_populations(campaign)
    listed = set(zip(frames["unit"], frames["group"], strict=True))
    rows = [
        {"unit": u.code, "group": "internal", "population": float(u.population_size)}
        for u in campaign.institution.units
        if u.population_size and (u.code, "internal") not in listed
    ]
    units = pd.DataFrame(rows, columns=["unit", "group", "population"])
    return pd.concat([frames, units], ignore_index=True) if len(frames) else units


def with_campaign_design(frame: pd.DataFrame, campaign: Campaign) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` with the campaign's design (changed in place and returned), and the weighting rule per group.

    Every unit is sampled on its own, so the unit is part of the variance stratum (with the invitation's own
    stratum, if any). Each group whose units all have a known population is weighted to it
    (:func:`scoring.index.weights.population_weights`: ``N / n`` within unit × group); the other groups keep
    their stored weights, and the returned table says which rule applies to which group and why. With
    ``use_fpc``, the same population sizes give the finite population correction of invited responses. A
    unit with more respondents than its stated population gets no correction (the size is evidently out of
    date) rather than a negative one.
    """
    # In place: the frame is the caller's own fresh read, and a copy of a million-row wide text frame costs
    # about 0.9 GB of peak memory (bench/results_load.py).
    out = frame
    unit = out["unit"].astype("string").fillna("")
    group = out["group"].astype("string").fillna("")
    stratum = out["stratum"].astype("string").fillna("") if "stratum" in out.columns else ""
    out["stratum"] = unit + "|" + stratum
    populations = campaign_populations(campaign)
    weighting = population_weights(out, populations)
    out["weight"] = weighting.weights
    if campaign.use_fpc:
        sizes = populations.set_index(["unit", "group"])["population"]
        invited = pd.Series(True, index=out.index)
        if "open_access" in out.columns:
            invited = ~out["open_access"].astype("string").str.lower().isin(["true", "1", "t"])
        keys = pd.MultiIndex.from_arrays([unit, group])
        population = pd.Series(sizes.reindex(keys).to_numpy(dtype="float64"), index=out.index).where(invited)
        answered = invited.groupby([unit, group]).transform("sum")
        out["fpc"] = population.where(answered <= population)
    return out, weighting.rules


def _json_table(frame: pd.DataFrame) -> dict[str, Any]:
    # pandas writes NaN/NA as null and numpy scalars as JSON numbers; the split layout keeps column order.
    data: dict[str, Any] = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    return data


def table_of(run: ScoreRun, name: str) -> pd.DataFrame:
    stored = run.results[name]
    return pd.DataFrame(stored["data"], columns=stored["columns"])


def compute_run(
    campaign: Campaign, actor: str, progress: Callable[[str, float], None] | None = None
) -> ScoreRun:
    """Read the responses, compute index and data quality per institution × unit, store the run (flushed).

    ``progress(stage, fraction)`` is called before each stage, for the progress indicator; it runs before the
    run is added to the session, so it may commit the caller's session (only the job row changes).
    """
    if progress:
        progress("reading responses", 0.05)
    versions = campaign_versions(campaign)
    questionnaires = [q for _, q in versions]
    profile = campaign_profile(campaign)
    frame = read_responses(db.session.connection(), campaign.id, campaign.institution.code, versions)
    if frame.empty:
        raise NoResponsesError(f"campaign {campaign.slug!r} has no responses yet")
    frame, weighting = with_campaign_design(frame, campaign)
    # Known margins, after the population weights: the groups whose answers allow it are calibrated.
    calibration, calibration_notes = calibration_for(
        campaign, frame, weighting, campaign_populations(campaign)
    )
    if progress:
        progress("index", 0.3)
    result = compute_index(
        frame,
        questionnaires,
        profile,
        by=BY,
        target=campaign.target_index,
        method=campaign.variance_method,  # type: ignore[arg-type]
        calibration=calibration or None,
    )
    if progress:
        progress("index", 0.55)
    # The institution as a whole (no unit), for the table's first row and the trend across campaigns; from
    # the respondent scores computed above, not scored again (scoring is a third of a large run).
    scored = result.scored
    if scored is None:
        raise RuntimeError("compute_index returned no respondent scores")
    # The correction cases entered in the console lower the institution's index (the profile's points per
    # case); they are findings about the institution, so the units' rows stay as measured.
    corrections = cases_frame(campaign)
    overall_index, overall_groups, overall_dimensions = index_from_scores(
        scored.data,
        profile,
        scored.dimensions,
        by=("institution",),
        target=campaign.target_index,
        method=campaign.variance_method,  # type: ignore[arg-type]
        corrections=corrections,
        calibration=calibration or None,
    )
    # What each unit × group weighs in the institution's rows, for disclosure control: its scored
    # respondents' weights as the estimates use them, so the calibrated ones in a calibrated group (a unit's
    # share of the institution's group cell is then exactly its share of the calibrated weights; after
    # post-stratification it is no longer its population's). Open-access answers count 1 each.
    data = scored.data
    has_score = pd.to_numeric(data["score"], errors="coerce").notna()
    weights = calibrated_weights(data, calibration or None)
    cell_weights = (
        weights[has_score]
        .groupby([data["unit"].astype("string")[has_score], data["group"].astype("string")[has_score]])
        .sum()
        .rename("weight")
        .reset_index()
    )
    if progress:
        progress("data quality", 0.75)
    quality = data_quality(frame, questionnaires, profile, by=BY, scored=scored)
    if progress:
        progress("questions", 0.85)
    questions, overall_questions = question_tables(frame, questionnaires, profile)
    if progress:
        progress("storing", 0.9)
    meta = ResultsMetadata.build(profile, questionnaires, campaign=campaign.slug, min_cell=profile.min_cell)
    run = ScoreRun(
        campaign_id=campaign.id,
        created_by=actor,
        created_at=meta.computed_at,
        profile_hash=profile.content_hash,
        questionnaire_hashes={q.group.value: q.content_hash for q in questionnaires},
        software_version=software_version(),
        parameters={
            **json.loads(json.dumps(result.settings, default=str)),
            "metadata": meta.to_dict(),
            "corrections": {}
            if corrections is None
            else dict(zip(corrections["rule"], map(int, corrections["cases"]), strict=True)),
            "weighting": [
                {
                    **rule,
                    **(
                        {"calibration": calibration_notes[rule["group"]]}
                        if rule["group"] in calibration_notes
                        else {}
                    ),
                }
                for rule in json.loads(weighting.to_json(orient="records"))
            ],
        },
        responses_read=len(frame),
        results={
            "index": _json_table(result.index),
            "groups": _json_table(result.groups),
            "dimensions": _json_table(result.dimensions),
            "quality_units": _json_table(quality.units),
            "quality_flags": _json_table(quality.flags),
            "overall": _json_table(overall_index),
            "overall_groups": _json_table(overall_groups),
            "overall_dimensions": _json_table(overall_dimensions),
            "questions": _json_table(questions),
            "overall_questions": _json_table(overall_questions),
            "cell_weights": _json_table(cell_weights),
        },
        note="",
    )
    db.session.add(run)
    db.session.flush()
    return run


def latest_run(campaign: Campaign, *, published_only: bool = False) -> ScoreRun | None:
    """The newest run of the campaign; with ``published_only`` the newest published one (what viewers see)."""
    query = select(ScoreRun).where(ScoreRun.campaign_id == campaign.id)
    if published_only:
        query = query.where(ScoreRun.published_at.is_not(None))
    return db.session.scalar(query.order_by(ScoreRun.created_at.desc(), ScoreRun.id.desc()).limit(1))


def visible_run(campaign: Campaign, role: str) -> ScoreRun | None:
    """The run a console or API user of ``role`` reads: viewers only published results, others the newest."""
    return latest_run(campaign, published_only=role == "viewer")


def run_metadata(run: ScoreRun) -> ResultsMetadata:
    return ResultsMetadata.from_dict(run.parameters["metadata"])
