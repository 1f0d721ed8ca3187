"""The API endpoints (GET only): campaigns in scope, their visible results and runs, the OpenAPI document.

Results come from the stored score run the console shows to the same role
(:func:`survey_app.domain.results.runs.visible_run`), as every output shows them
(:func:`survey_app.domain.results.rows.shown_tables`): a cell with fewer than the campaign's ``min_cell``
respondents, or withheld so that it cannot be recomputed from the others, carries no estimate, standard
error, interval, degrees of freedom, category or ``n``, only ``n_below`` (its ``n`` is below that) for a small
cell, ``suppression`` and the note; published figures are rounded to one decimal.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd
from flask import abort, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from survey_app.api.auth import api_user, bp, requires_token
from survey_app.api.openapi import openapi_document
from survey_app.domain.accounts import campaign_for, campaigns_in_scope
from survey_app.domain.disclosure import ROUNDED_COLUMNS, effective_min_cell
from survey_app.domain.results.headline import target_columns
from survey_app.domain.results.rows import run_tables, shown_tables
from survey_app.domain.results.runs import campaign_profile, run_metadata, table_of, visible_run
from survey_app.extensions import db
from survey_app.models import Campaign, Response, ScoreRun, User

STATE_FIELDS = ("published", "suppressed", "suppression", "note")
TARGET_FIELDS = ("gap_to_target", "prob_at_least_target")
GROUP_FIELDS = ("group", *ROUNDED_COLUMNS, "n", "n_below", *STATE_FIELDS)
UNIT_FIELDS = (
    "unit",
    *ROUNDED_COLUMNS,
    "n",
    "n_below",
    "category",
    "category_uncertain",
    "complete",
    *STATE_FIELDS,
    *TARGET_FIELDS,
)
DIMENSION_FIELDS = ("unit", "group", "dimension", *ROUNDED_COLUMNS, "n", "n_below", *STATE_FIELDS)
INSTITUTION_FIELDS = ("institution", *UNIT_FIELDS[1:])
INSTITUTION_DIMENSION_FIELDS = ("institution", *DIMENSION_FIELDS[1:])
FLAG_FIELDS = ("group", "check", "value", "threshold", "reason")


def _sees_quality(user: User) -> bool:
    return user.role in ("admin", "analyst")


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy numbers as Python numbers, NaN/NA as ``null``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    columns = [f for f in fields if f in frame.columns]
    return [
        {f: _plain(v) for f, v in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _campaign(campaign: Campaign, counts: dict[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slug": campaign.slug,
        "title": campaign.title,
        "period": campaign.period,
        "institution": {"code": campaign.institution.code, "name": campaign.institution.name},
        "status": campaign.status,
        "opens_on": _date(campaign.opens_on),
        "closes_on": _date(campaign.closes_on),
        "profile_id": campaign.profile_id,
        "min_cell": effective_min_cell(campaign),
        "groups": [link.respondent_group for link in campaign.questionnaires],
    }
    if counts is not None:
        body["responses"] = {"total": sum(counts.values()), "by_group": counts}
    return body


def _response_counts(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    if not campaign_ids:
        return counts
    rows = db.session.execute(
        select(Response.campaign_id, Response.respondent_group, func.count())
        .where(Response.campaign_id.in_(campaign_ids))
        .group_by(Response.campaign_id, Response.respondent_group)
    )
    for campaign_id, group, count in rows:
        counts[campaign_id][group] = int(count)
    return counts


def _run(run: ScoreRun) -> dict[str, Any]:
    meta = run_metadata(run)
    return {
        "id": run.id,
        "created_at": _moment(run.created_at),
        "published": run.published_at is not None,
        "published_at": _moment(run.published_at),
        "responses_read": run.responses_read,
        "profile": {"id": meta.profile_id, "version": meta.profile_version, "hash": run.profile_hash},
        "questionnaire_hashes": dict(run.questionnaire_hashes),
        "software_version": run.software_version,
        "method": run.parameters.get("method"),
        "level": run.parameters.get("level"),
        "min_cell": meta.min_cell,
    }


def _visible(slug: str) -> tuple[Campaign, ScoreRun, int]:
    user = api_user()
    campaign = campaign_for(user, slug)
    run = visible_run(campaign, user.role)
    if run is None:
        abort(404, "no results of this campaign are visible to this account yet")
    return campaign, run, effective_min_cell(campaign, run)


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    # Public: it describes the API and holds no data.
    return jsonify(openapi_document())


@bp.get("/campaigns")
@requires_token("viewer")
def campaigns() -> ResponseReturnValue:
    user = api_user()
    found = campaigns_in_scope(user)
    counts = _response_counts([c.id for c in found]) if _sees_quality(user) else None
    return jsonify({"campaigns": [_campaign(c, counts[c.id] if counts is not None else None) for c in found]})


@bp.get("/campaigns/<slug>")
@requires_token("viewer")
def campaign(slug: str) -> ResponseReturnValue:
    user = api_user()
    found = campaign_for(user, slug)
    counts = _response_counts([found.id])[found.id] if _sees_quality(user) else None
    body = _campaign(found, counts)
    body["units"] = [{"code": u.code, "name": u.name} for u in found.institution.units]
    body["questionnaires"] = [
        {
            "group": link.respondent_group,
            "id": link.questionnaire_version.questionnaire_id,
            "version": link.questionnaire_version.version,
            "hash": link.questionnaire_version.content_hash,
        }
        for link in found.questionnaires
    ]
    return jsonify(body)


@bp.get("/campaigns/<slug>/results")
@requires_token("viewer")
def results(slug: str) -> ResponseReturnValue:
    user = api_user()
    found, run, min_cell = _visible(slug)
    tables = shown_tables(found, run)
    raw = run_tables(run)
    target = found.target_index
    tables["index"] = target_columns(tables["index"], raw["index"], target)
    if "overall" in tables:
        tables["overall"] = target_columns(tables["overall"], raw["overall"], target)
    index, groups = tables["index"], tables["groups"]
    flags = table_of(run, "quality_flags")
    names = {u.code: u.name for u in found.institution.units}
    units = []
    for record, unit in zip(_records(index, UNIT_FIELDS), index["unit"], strict=True):
        record["unit_name"] = names.get(str(unit))
        record["groups"] = _records(groups.loc[groups["unit"] == unit], GROUP_FIELDS)
        if _sees_quality(user):
            mine = flags.loc[flags["unit"] == unit] if "unit" in flags.columns else flags.iloc[0:0]
            record["quality_flags"] = _records(mine, FLAG_FIELDS)
        units.append(record)
    institution = None
    if "overall" in tables and len(tables["overall"]):
        institution = _records(tables["overall"], INSTITUTION_FIELDS)[0]
        institution["institution_name"] = found.institution.name
        totals = tables.get("overall_groups")
        institution["groups"] = _records(totals, GROUP_FIELDS) if totals is not None else []
    body: dict[str, Any] = {"campaign": found.slug, "run": _run(run), "min_cell": min_cell, "target": target}
    if institution is not None:
        body["institution"] = institution
    body["units"] = units
    return jsonify(body)


@bp.get("/campaigns/<slug>/results/dimensions")
@requires_token("viewer")
def dimensions(slug: str) -> ResponseReturnValue:
    found, run, min_cell = _visible(slug)
    tables = shown_tables(found, run)
    table = tables["dimensions"]
    institution = tables.get("overall_dimensions")
    return jsonify(
        {
            "campaign": found.slug,
            "run": _run(run),
            "min_cell": min_cell,
            "dimensions": [
                {"id": d.id, "label": dict(d.label), "weight": d.weight}
                for d in campaign_profile(found).dimensions
            ],
            "cells": _records(table, DIMENSION_FIELDS),
            "institution_cells": _records(institution, INSTITUTION_DIMENSION_FIELDS)
            if institution is not None
            else [],
        }
    )


@bp.get("/campaigns/<slug>/runs")
@requires_token("analyst")
def runs(slug: str) -> ResponseReturnValue:
    found = campaign_for(api_user(), slug)
    stored = db.session.scalars(
        select(ScoreRun)
        .options(defer(ScoreRun.results))  # the tables are large and not needed for the list
        .where(ScoreRun.campaign_id == found.id)
        .order_by(ScoreRun.created_at.desc(), ScoreRun.id.desc())
    )
    return jsonify({"campaign": found.slug, "runs": [_run(r) for r in stored]})
