"""The answer a results page leads with: per institution and unit the index with its interval, category,
the target (gap and the chance of reaching it), the change since the previous campaign with its interval,
the unit's rank and its weakest dimension; the institution's dimension scores; the national reference.

Everything is read from the run's shown tables (:func:`survey_app.domain.results.rows.shown_tables`), so a
withheld cell stays withheld here: no gap, no chance, no change and no rank for it. The chance of reaching
the target and the change are computed from the published cells' unrounded estimate, standard error and
degrees of freedom (the rounded ones would make a 0.04 standard error 0.0); they are functions of
figures that are published anyway.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select

from questionnaires.profile import ScoringProfile
from scoring.index import campaign_difference
from scoring.index.categories import probability_at_least
from survey_app.domain.national import Figure, reference_for
from survey_app.domain.results.rows import run_tables, shown_tables
from survey_app.domain.results.runs import campaign_profile, visible_run
from survey_app.extensions import db
from survey_app.models import Campaign, ScoreRun

#: Two-sided level at which a change is called significant (the level of the run's intervals).
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Change:
    """The change of an index since the previous campaign (current − previous), as independent samples."""

    previous_title: str
    previous_estimate: float
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool


@dataclass(frozen=True)
class Weakest:
    dimension: str
    label: str
    estimate: float


@dataclass(frozen=True)
class Headline:
    """One row of the answer: the institution (``unit is None``) or a unit."""

    unit: str | None
    name: str
    n: int | None
    n_below: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    category: str | None
    category_label: str | None
    uncertain: bool
    suppressed: bool
    suppression: str | None
    note: str
    target: float | None
    gap: float | None
    probability: float | None
    change: Change | None
    weakest: Weakest | None
    rank: int | None = None
    #: The earlier run since which the cell changed too little (the change gate), where that withheld it.
    changed_since: int | None = None

    @property
    def shown(self) -> bool:
        return self.estimate is not None


@dataclass(frozen=True)
class DimensionScore:
    """The institution's score on one dimension (all groups combined), or why it is withheld."""

    dimension: str
    label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    suppressed: bool
    change: Change | None = None
    #: Why it is withheld (:data:`survey_app.domain.disclosure.PRIMARY`, ``COMPLEMENTARY`` or
    #: :data:`survey_app.domain.disclosure_runs.CHANGED`), if it is, and since which run it changed.
    suppression: str | None = None
    changed_since: int | None = None


@dataclass(frozen=True)
class Answer:
    """What the page and the report lead with."""

    institution: Headline | None
    #: Ranked: lowest index (highest risk) first, withheld units last in table order.
    units: tuple[Headline, ...]
    dimensions: tuple[DimensionScore, ...]
    target: float | None
    national: Figure | None
    previous: Campaign | None
    level: float
    below_target: int = 0
    clearly_below_target: int = 0
    units_shown: int = 0


def _float(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _str(value: Any) -> str | None:
    return (
        None
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
        else str(value)
    )


def _int(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else int(number)


def previous_campaign(campaign: Campaign, role: str) -> tuple[Campaign, ScoreRun] | None:
    """The institution's latest campaign that opened before ``campaign``, with a run ``role`` may read."""
    earlier = db.session.scalars(
        select(Campaign)
        .where(
            Campaign.institution_id == campaign.institution_id,
            Campaign.id != campaign.id,
            Campaign.opens_on < campaign.opens_on,
        )
        .order_by(Campaign.opens_on.desc(), Campaign.id.desc())
    )
    for other in earlier:
        run = visible_run(other, role)
        if run is not None:
            return other, run
    return None


def with_unrounded(shown: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """``shown`` with the raw ``estimate, se, df`` of the cells it publishes (same rows, same order: the
    shown table is the raw one after suppression), withheld cells left without them."""
    out = shown.reset_index(drop=True).copy()
    raw = raw.reset_index(drop=True)
    published = out["estimate"].notna()
    for column in ("estimate", "se", "df"):
        if column in raw.columns:
            values = pd.to_numeric(raw[column], errors="coerce").astype("float64")
            out[f"{column}_raw"] = values.where(published)
    return out


def target_chance(table: pd.DataFrame, target: float | None) -> pd.Series:
    """P(true index >= target) per row of a :func:`with_unrounded` table (NaN where withheld)."""
    if target is None or table.empty:
        return pd.Series(float("nan"), index=table.index, dtype="float64")
    chance = probability_at_least(table["estimate_raw"], table["se_raw"], table["df_raw"], float(target))
    return pd.Series(chance, index=table.index, dtype="float64")


def target_columns(shown: pd.DataFrame, raw: pd.DataFrame, target: float | None) -> pd.DataFrame:
    """``shown`` (an index table as every output shows it) with ``target``, ``gap_to_target`` and
    ``prob_at_least_target`` for the campaign's target as it is now (the stored chance is for the target the
    run was computed with, if any); withheld cells get none of them."""
    table = with_unrounded(shown, raw)
    out = shown.reset_index(drop=True).copy()
    published = out["estimate"].notna()
    out["target"] = pd.Series(target, index=out.index, dtype="float64")
    out["gap_to_target"] = (out["estimate"] - out["target"]).round(1).where(published)
    out["prob_at_least_target"] = target_chance(table, target).round(2).where(published)
    return out


def download_tables(campaign: Campaign, run: ScoreRun) -> dict[str, pd.DataFrame]:
    """The tables of a results download: ``results`` (the index per unit, with the target, the gap and the
    chance of reaching it), ``institution`` (the same for the institution as a whole) and ``dimensions``
    (dimension scores per group and combined, the institution's first with an empty ``unit``); as
    :func:`shown_tables` shows them."""
    shown = shown_tables(campaign, run)
    raw = run_tables(run)
    target = campaign.target_index
    out = {"results": target_columns(shown["index"], raw["index"], target)}
    if "overall" in shown:
        out["institution"] = target_columns(shown["overall"], raw["overall"], target)
    dims = shown["dimensions"]
    if "overall_dimensions" in shown:
        whole = shown["overall_dimensions"].assign(unit="")
        dims = pd.concat([whole, dims], ignore_index=True)
    out["dimensions"] = dims
    return out


def changes(
    current: pd.DataFrame, previous: pd.DataFrame, key: Sequence[str], level: float
) -> dict[tuple[str, ...], Change]:
    """Change per ``key`` cell between two :func:`with_unrounded` tables, for cells both publish."""

    def usable(t: pd.DataFrame) -> pd.DataFrame:
        t = t.loc[t["estimate_raw"].notna() & t["se_raw"].notna()]
        return pd.DataFrame(
            {
                **{k: t[k].astype(str) for k in key},
                "estimate": t["estimate_raw"],
                "se": t["se_raw"],
                "df": t["df_raw"],
                "n": pd.to_numeric(t["n"], errors="coerce"),
                "shown_estimate": t["estimate"],
            }
        )

    a, b = usable(current), usable(previous)
    if a.empty or b.empty:
        return {}
    diff = campaign_difference(a, b, by=list(key), level=level)
    shown_prev = b.set_index(list(key))["shown_estimate"]
    out = {}
    for record in diff.to_dict(orient="records"):
        cell = tuple(str(record[k]) for k in key)
        p = float(record["p_value"])
        out[cell] = Change(
            previous_title="",
            previous_estimate=float(shown_prev.loc[cell if len(cell) > 1 else cell[0]]),
            estimate=round(float(record["estimate"]), 1),
            ci_low=round(float(record["ci_low"]), 1),
            ci_high=round(float(record["ci_high"]), 1),
            p_value=p,
            significant=bool(p < 1 - level),
        )
    return out


def _titled(change: Change | None, title: str) -> Change | None:
    return None if change is None else dataclasses.replace(change, previous_title=title)


def _label(profile: ScoringProfile, dimension: str, lang: str) -> str:
    try:
        label = profile.dimension(dimension).label
    except KeyError:
        return dimension
    return str(label.get(lang) or next(iter(label.values()), dimension))


def _category_label(profile: ScoringProfile, category: str | None, lang: str) -> str | None:
    if category is None:
        return None
    for cat in profile.categories:
        if cat.id == category:
            return str(cat.label.get(lang) or next(iter(cat.label.values()), category))
    return category


def _weakest(
    dims: pd.DataFrame, where: str, place: str, profile: ScoringProfile, lang: str
) -> Weakest | None:
    if dims.empty or where not in dims.columns:
        return None
    mine = dims.loc[(dims[where].astype(str) == place) & (dims["group"] == "all") & dims["estimate"].notna()]
    if mine.empty:
        return None
    low = mine.iloc[int(mine["estimate"].astype("float64").to_numpy().argmin())]
    return Weakest(
        str(low["dimension"]), _label(profile, str(low["dimension"]), lang), float(low["estimate"])
    )


def _headline(
    record: dict[Hashable, Any],
    *,
    unit: str | None,
    name: str,
    target: float | None,
    chance: float | None,
    change: Change | None,
    weakest: Weakest | None,
    profile: ScoringProfile,
    lang: str,
) -> Headline:
    estimate = _float(record.get("estimate"))
    category = _str(record.get("category")) if estimate is not None else None
    return Headline(
        unit=unit,
        name=name,
        n=_int(record.get("n")),
        n_below=_int(record.get("n_below")),
        estimate=estimate,
        ci_low=_float(record.get("ci_low")),
        ci_high=_float(record.get("ci_high")),
        category=category,
        category_label=_category_label(profile, category, lang),
        uncertain=bool(record.get("category_uncertain")) and estimate is not None,
        suppressed=bool(record.get("suppressed")),
        suppression=_str(record.get("suppression")),
        note=str(record.get("note") or ""),
        target=target,
        gap=None if estimate is None or target is None else round(estimate - target, 1),
        probability=chance if estimate is not None else None,
        change=change,
        weakest=weakest,
        changed_since=_int(record.get("changed_since")),
    )


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def answer(campaign: Campaign, run: ScoreRun, role: str, lang: str) -> Answer:
    """The headline figures of ``run`` as ``role`` may see them, with labels in ``lang``."""
    profile = campaign_profile(campaign)
    level = float(run.parameters.get("level") or DEFAULT_LEVEL)
    target = campaign.target_index
    shown = shown_tables(campaign, run)
    raw = run_tables(run)
    before = previous_campaign(campaign, role)
    prev_shown: dict[str, pd.DataFrame] = {}
    prev_raw: dict[str, pd.DataFrame] = {}
    if before is not None:
        prev_shown, prev_raw = shown_tables(*before), run_tables(before[1])
    previous_title = before[0].title if before is not None else ""
    names = {u.code: u.name for u in campaign.institution.units}

    def table(name: str, prev: bool = False) -> pd.DataFrame | None:
        s, r = (prev_shown, prev_raw) if prev else (shown, raw)
        if name not in s or name not in r:
            return None
        return with_unrounded(s[name], r[name])

    dims = shown.get("dimensions", pd.DataFrame())
    overall_dims = shown.get("overall_dimensions", pd.DataFrame())

    institution = None
    overall = table("overall")
    if overall is not None and len(overall):
        overall["_chance"] = target_chance(overall, target)
        prev_overall = table("overall", prev=True)
        change = None
        if prev_overall is not None:
            # Campaigns of one institution: compared as one cell whatever the institution's code.
            found = changes(overall.assign(_k="i"), prev_overall.assign(_k="i"), ["_k"], level)
            change = _titled(found.get(("i",)), previous_title)
        record = _records(overall)[0]
        institution = _headline(
            record,
            unit=None,
            name=campaign.institution.name,
            target=target,
            chance=_float(record.get("_chance")),
            change=change,
            weakest=_weakest(overall_dims, "institution", str(record.get("institution")), profile, lang),
            profile=profile,
            lang=lang,
        )

    units: list[Headline] = []
    index = table("index")
    if index is not None:
        index["_chance"] = target_chance(index, target)
        prev_index = table("index", prev=True)
        found = changes(index, prev_index, ["unit"], level) if prev_index is not None else {}
        for record in _records(index):
            code = str(record["unit"])
            units.append(
                _headline(
                    record,
                    unit=code,
                    name=names.get(code, code),
                    target=target,
                    chance=_float(record.get("_chance")),
                    change=_titled(found.get((code,)), previous_title),
                    weakest=_weakest(dims, "unit", code, profile, lang),
                    profile=profile,
                    lang=lang,
                )
            )
    ranked = sorted((u for u in units if u.shown), key=lambda u: (u.estimate, u.name))
    units_out = [dataclasses.replace(u, rank=i + 1) for i, u in enumerate(ranked)] + [
        u for u in units if not u.shown
    ]

    dimension_rows = []
    od = table("overall_dimensions")
    if od is not None and not od.empty:
        combined = od.loc[od["group"] == "all"].copy()
        prev_od = table("overall_dimensions", prev=True)
        dim_changes: dict[tuple[str, ...], Change] = {}
        if prev_od is not None and not prev_od.empty:
            dim_changes = changes(combined, prev_od.loc[prev_od["group"] == "all"], ["dimension"], level)
        for record in _records(combined):
            dim = str(record["dimension"])
            dimension_rows.append(
                DimensionScore(
                    dimension=dim,
                    label=_label(profile, dim, lang),
                    estimate=_float(record.get("estimate")),
                    ci_low=_float(record.get("ci_low")),
                    ci_high=_float(record.get("ci_high")),
                    n=_int(record.get("n")),
                    suppressed=bool(record.get("suppressed")) or _float(record.get("estimate")) is None,
                    change=_titled(dim_changes.get((dim,)), previous_title),
                    suppression=record.get("suppression") or None,
                    changed_since=_int(record.get("changed_since")),
                )
            )

    shown_units = [u for u in units_out if u.shown]
    below = sum(
        1 for u in shown_units if target is not None and u.estimate is not None and u.estimate < target
    )
    clearly = sum(
        1 for u in shown_units if target is not None and u.ci_high is not None and u.ci_high < target
    )
    return Answer(
        institution=institution,
        units=tuple(units_out),
        dimensions=tuple(dimension_rows),
        target=target,
        national=reference_for(campaign),
        previous=before[0] if before is not None else None,
        level=level,
        below_target=below,
        clearly_below_target=clearly,
        units_shown=len(shown_units),
    )
