"""Known population margins per campaign × group, and calibrating that group's results to them.

An administrator uploads, for one respondent group, a CSV ``variable,level,total`` whose ``variable`` names a
questionnaire item of the group (a sex or rank question, say): one row per answer option with its population
count, or, for a numeric item in linear calibration, one row with an empty ``level`` and the population
total of the item. The upload is validated whole, with every problem by row (:class:`MarginsRejectedError`),
and stored all or nothing with an audit entry. Margins are totals only: the frames' auxiliary columns are
never joined to responses (they belong to contacts, and contacts are never linked to answers).

The results (:func:`calibration_for`) apply the margins after the base and population weights
(:mod:`scoring.index.weights`): the group's own sample is calibrated by post-stratification, raking or
linear (GREG) calibration (:mod:`scoring.calibration`), with R ``survey``'s standard errors. When the
answers cannot be calibrated (a respondent skipped the item or answered a level without a total, a level
has no respondent, or the campaign uses the bootstrap), the group keeps its population weights and the
results page says why.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select

from questionnaires.model import Questionnaire
from questionnaires.problems import Msg
from scoring.calibration import INTERCEPT, CalibrationMethod
from survey_app.domain.accounts import audit
from survey_app.domain.errors import N_, DomainError
from survey_app.domain.questionnaires import campaign_versions
from survey_app.extensions import db
from survey_app.models import Campaign, User
from survey_app.models.frames import CALIBRATION_METHODS, CalibrationMargins
from survey_app.models.types import utcnow

#: Prefix of the response-frame columns that carry an auxiliary item's answers into the scoring (a name no
#: questionnaire item can have, so the scoring keeps it beside the scores).
AUX_PREFIX = "aux:"
#: Rows of a margins file at most.
MAX_ROWS = 10_000


@dataclass(frozen=True)
class MarginProblem:
    """One problem of an upload; ``row`` counts the header as row 1, as a spreadsheet does."""

    row: int | None
    column: str | None
    message: str
    #: The message as a template with its fields, for the console to translate (``None``: shown as it is).
    text: Msg | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, row: int | None, column: str | None, message: Msg) -> MarginProblem:
        return cls(row, column, str(message), message)

    def render(self, translate: Callable[[str], str]) -> str:
        """The message in the language of ``translate`` (a gettext)."""
        return self.message if self.text is None else self.text.render(translate)

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (f"row {self.row}" if self.row else "", f"column {self.column!r}" if self.column else "")
            if p
        )
        return f"{where}: {self.message}" if where else self.message


class MarginsRejectedError(DomainError):
    """A margins upload with problems: nothing was stored."""

    def __init__(self, source: str, problems: list[MarginProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "\n".join(f"{source}: {p}" for p in problems[:50])
        super().__init__(f"{source}: {len(problems)} problem(s), nothing was stored:\n{shown}")


def _read(data: bytes, filename: str) -> tuple[pd.DataFrame | None, list[MarginProblem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [
            MarginProblem.of(None, None, Msg(N_("the file is not UTF-8 text (save it as CSV UTF-8)")))
        ]
    if not text.strip():
        return None, [MarginProblem.of(None, None, Msg(N_("the file is empty")))]
    first = text.splitlines()[0]
    # Excel in the Indonesian locale writes ";" (the decimal separator is ",").
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as error:
        return None, [
            MarginProblem.of(
                None, None, Msg(N_("cannot read %(file)s as CSV: %(error)s"), file=filename, error=str(error))
            )
        ]
    table.columns = [str(c).strip().lower() for c in table.columns]
    table.attrs["decimal_comma"] = sep == ";"
    missing = [c for c in ("variable", "level", "total") if c not in table.columns]
    if missing:
        return None, [
            MarginProblem.of(
                1,
                None,
                Msg(
                    N_(
                        "missing column(s) %(missing)s: the columns are variable,level,total "
                        "(found: %(found)s)"
                    ),
                    missing=", ".join(missing),
                    found=", ".join(table.columns),
                ),
            )
        ]
    if len(table) > MAX_ROWS:
        return None, [
            MarginProblem.of(
                None, None, Msg(N_("%(rows)s rows: at most %(limit)s"), rows=len(table), limit=MAX_ROWS)
            )
        ]
    return table, []


def _number(text: str, decimal_comma: bool = False) -> float | None:
    """A total as written: with ``decimal_comma`` (a ``;`` file, as Excel writes under the Indonesian locale)
    ``1.250,5`` is 1250.5; otherwise ``1,250.5`` is."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    cleaned = cleaned.replace(".", "").replace(",", ".") if decimal_comma else cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def validate_margins(
    table: pd.DataFrame, questionnaire: Questionnaire, method: str
) -> tuple[pd.DataFrame, list[MarginProblem]]:
    """The margins as ``variable, level, total`` (level text, float total) and every problem by row."""
    problems: list[MarginProblem] = []
    if method not in CALIBRATION_METHODS:
        problems.append(
            MarginProblem.of(
                None,
                None,
                Msg(
                    N_("method must be one of %(known)s, not %(method)s"),
                    known=", ".join(CALIBRATION_METHODS),
                    method=repr(method),
                ),
            )
        )
    rows: list[tuple[str, str, float]] = []
    seen: dict[tuple[str, str], int] = {}
    listed: dict[str, set[str]] = {}
    items = {i.id: i for i in questionnaire.items}
    for i, record in enumerate(table.to_dict(orient="records")):
        row = i + 2
        variable = str(record["variable"]).strip()
        level = str(record["level"]).strip()
        raw = str(record["total"]).strip()
        total = _number(raw, bool(table.attrs.get("decimal_comma")))
        if not variable:
            problems.append(MarginProblem.of(row, "variable", Msg(N_("empty: name a questionnaire item"))))
            continue
        if total is None:
            problems.append(
                MarginProblem.of(row, "total", Msg(N_("%(value)s is not a number"), value=repr(raw)))
            )
        elif total < 0:
            problems.append(
                MarginProblem.of(
                    row, "total", Msg(N_("a total cannot be negative (%(total)s)"), total=f"{total:g}")
                )
            )
        elif level and total == 0:
            problems.append(
                MarginProblem.of(
                    row, "total", Msg(N_("a level of the population with nobody in it: leave the row out"))
                )
            )
        if (variable, level) in seen:
            problems.append(
                MarginProblem.of(
                    row,
                    None,
                    Msg(
                        N_("%(variable)s = %(level)s repeats row %(first)s"),
                        variable=variable,
                        level=repr(level),
                        first=seen[(variable, level)],
                    ),
                )
            )
            continue
        seen[(variable, level)] = row
        if variable == INTERCEPT:
            if level:
                problems.append(
                    MarginProblem.of(
                        row, "level", Msg(N_("%(name)s (the population size) has no level"), name=INTERCEPT)
                    )
                )
            elif method != "linear":
                problems.append(
                    MarginProblem.of(
                        row, "variable", Msg(N_("%(name)s is for linear calibration only"), name=INTERCEPT)
                    )
                )
        else:
            item = items.get(variable)
            if item is None:
                problems.append(
                    MarginProblem.of(
                        row,
                        "variable",
                        Msg(
                            N_("unknown item %(item)s: not a question of the %(group)s questionnaire"),
                            item=repr(variable),
                            group=questionnaire.group.value,
                        ),
                    )
                )
                continue
            if item.type.value == "select_one":
                scale = questionnaire.scale_of(item)
                codes = [o.code for o in scale.options] if scale else []
                if not level:
                    problems.append(
                        MarginProblem.of(
                            row,
                            "level",
                            Msg(
                                N_("empty: %(item)s is a choice question; give one row per answer option"),
                                item=variable,
                            ),
                        )
                    )
                    continue
                elif level not in codes:
                    problems.append(
                        MarginProblem.of(
                            row,
                            "level",
                            Msg(
                                N_("unknown level %(level)s of %(item)s (its options: %(options)s)"),
                                level=repr(level),
                                item=variable,
                                options=", ".join(codes),
                            ),
                        )
                    )
                    continue
            elif item.type.is_number:
                if level:
                    problems.append(
                        MarginProblem.of(
                            row,
                            "level",
                            Msg(
                                N_(
                                    "%(item)s is a numeric question: leave the level empty and give its total"
                                ),
                                item=variable,
                            ),
                        )
                    )
                    continue
                elif method != "linear":
                    problems.append(
                        MarginProblem.of(
                            row,
                            "variable",
                            Msg(
                                N_("%(item)s is numeric: a numeric total needs linear calibration"),
                                item=variable,
                            ),
                        )
                    )
            else:
                problems.append(
                    MarginProblem.of(
                        row,
                        "variable",
                        Msg(
                            N_(
                                "%(item)s is a %(type)s question: calibration takes single-choice or numeric "
                                "questions"
                            ),
                            item=variable,
                            type=item.type.value,
                        ),
                    )
                )
                continue
        if level:
            listed.setdefault(variable, set()).add(level)
        if total is not None:
            rows.append((variable, level, total))
    if not len(table):
        problems.append(
            MarginProblem.of(None, None, Msg(N_("no margins: the file has a header but no rows")))
        )
    # Levels missing from the margins: a respondent who gave one could not be weighted.
    categorical: dict[str, dict[str, float]] = {}
    for variable, level, total in rows:
        if level:
            categorical.setdefault(variable, {})[level] = total
    for variable, levels in listed.items():
        item = items[variable]
        scale = questionnaire.scale_of(item)
        # "Don't know" and "not applicable" have no population count: a respondent who chose one leaves
        # the group uncalibrated (the results say so), rather than the margins inventing a total.
        codes = [o.code for o in scale.options if o.missing is None] if scale else []
        absent = [c for c in codes if c not in levels]
        if absent:
            problems.append(
                MarginProblem.of(
                    None,
                    "level",
                    Msg(
                        N_(
                            "%(item)s: level(s) %(levels)s missing from the margins (every answer option "
                            "needs its population total, or respondents who chose it could not be weighted)"
                        ),
                        item=variable,
                        levels=", ".join(absent),
                    ),
                )
            )
    sums = {v: sum(levels.values()) for v, levels in categorical.items()}
    if len(set(round(s, 6) for s in sums.values())) > 1:
        shown = ", ".join(f"{v} {s:g}" for v, s in sums.items())
        problems.append(
            MarginProblem.of(
                None,
                "total",
                Msg(
                    N_("the margins add up to different population sizes (%(sums)s): they must agree"),
                    sums=shown,
                ),
            )
        )
    variables = sorted({v for v, _, _ in rows if v != INTERCEPT})
    if method == "poststratify" and len(variables) > 1:
        problems.append(
            MarginProblem.of(
                None,
                "variable",
                Msg(
                    N_("post-stratification uses one question, not %(n)s (%(items)s): use rake or linear"),
                    n=len(variables),
                    items=", ".join(variables),
                ),
            )
        )
    if method == "rake" and len(variables) < 1:
        problems.append(
            MarginProblem.of(
                None, "variable", Msg(N_("raking needs the margins of at least one choice question"))
            )
        )
    frame = pd.DataFrame(rows, columns=["variable", "level", "total"])
    return frame, problems


def _questionnaire(campaign: Campaign, group: str) -> Questionnaire:
    for _version, questionnaire in campaign_versions(campaign):
        if questionnaire.group.value == group:
            return questionnaire
    raise DomainError(
        N_("campaign %(slug)s has no questionnaire for group %(group)s"),
        slug=campaign.slug,
        group=repr(group),
    )


def upload_margins(
    campaign: Campaign, group: str, data: bytes, filename: str, method: str, *, user: User | None
) -> CalibrationMargins:
    """Validate and store the margins of ``group`` (replacing earlier ones; flushed, not committed)."""
    questionnaire = _questionnaire(campaign, group)
    table, problems = _read(data, filename)
    margins = pd.DataFrame(columns=["variable", "level", "total"])
    if table is not None:
        margins, problems = validate_margins(table, questionnaire, method)
    if campaign.variance_method == "bootstrap":
        problems.append(
            MarginProblem.of(
                None,
                None,
                Msg(
                    N_(
                        "the campaign's standard errors are bootstrapped; calibration needs linearization "
                        "(change the campaign's variance method first)"
                    )
                ),
            )
        )
    if problems:
        raise MarginsRejectedError(filename, problems)
    db.session.execute(
        delete(CalibrationMargins).where(
            CalibrationMargins.campaign_id == campaign.id, CalibrationMargins.respondent_group == group
        )
    )
    stored = CalibrationMargins(
        campaign_id=campaign.id,
        respondent_group=group,
        method=method,
        margins=[
            {"variable": v, "level": lev, "total": float(t)}
            for v, lev, t in margins.itertuples(index=False, name=None)
        ],
        uploaded_at=utcnow(),
        uploaded_by=user.email if user is not None else "system",
    )
    db.session.add(stored)
    db.session.flush()
    audit(
        "calibration.upload",
        f"campaign:{campaign.slug}",
        user=user,
        group=group,
        method=method,
        file=filename,
        variables=sorted(set(margins["variable"])),
        rows=len(margins),
    )
    return stored


def remove_margins(campaign: Campaign, group: str, *, user: User | None) -> None:
    """Stop calibrating ``group`` (flushed, with an audit entry)."""
    found = db.session.execute(
        delete(CalibrationMargins).where(
            CalibrationMargins.campaign_id == campaign.id, CalibrationMargins.respondent_group == group
        )
    )
    if not getattr(found, "rowcount", 0):
        raise DomainError(
            N_("group %(group)s of campaign %(slug)s has no margins"), group=repr(group), slug=campaign.slug
        )
    audit("calibration.remove", f"campaign:{campaign.slug}", user=user, group=group)


def campaign_margins(campaign: Campaign) -> list[CalibrationMargins]:
    return list(
        db.session.scalars(
            select(CalibrationMargins)
            .where(CalibrationMargins.campaign_id == campaign.id)
            .order_by(CalibrationMargins.respondent_group)
        )
    )


def _margins_frame(stored: CalibrationMargins) -> pd.DataFrame:
    return pd.DataFrame(stored.margins, columns=["variable", "level", "total"]).astype(
        {"variable": str, "level": str, "total": float}
    )


def _unit_margins(
    frame: pd.DataFrame, rows: np.ndarray, populations: pd.DataFrame, group: str
) -> pd.DataFrame:
    units = sorted(set(frame.loc[rows, "unit"].astype("string").dropna()))
    sizes = populations[populations["group"] == group].set_index("unit")["population"]
    return pd.DataFrame(
        {"variable": AUX_PREFIX + "unit", "level": units, "total": [float(sizes[u]) for u in units]}
    )


def calibration_for(
    campaign: Campaign,
    frame: pd.DataFrame,
    rules: pd.DataFrame | None = None,
    populations: pd.DataFrame | None = None,
) -> tuple[dict[str, tuple[CalibrationMethod, pd.DataFrame]], dict[str, dict[str, Any]]]:
    """The calibration of each group with margins that its answers allow, for
    :func:`scoring.index.compute_index` (``frame`` gains the ``aux:<item>`` columns it uses, in place), and
    per group what applies: ``method``, ``variables`` and ``units_kept``, or ``note`` (why not:
    ``bootstrap``, ``unanswered``, ``unknown_levels``, ``empty_levels``, ``no_respondents``,
    ``population_mismatch``) with ``detail``.

    Raking and linear calibration of a group weighted to its units' populations (``rules`` of
    :func:`scoring.index.weights.population_weights`, ``populations`` ``unit, group, population``) take the
    units' populations as one more margin, so each unit keeps counting by its size; the margins must then
    add up to the group's population. Post-stratification takes one question only, so it moves the units'
    totals (``units_kept`` false)."""
    plans: dict[str, tuple[CalibrationMethod, pd.DataFrame]] = {}
    notes: dict[str, dict[str, Any]] = {}
    groups = frame["group"].astype("string").fillna("")
    for stored in campaign_margins(campaign):
        group = stored.respondent_group
        margins = _margins_frame(stored)
        variables = sorted({v for v in margins["variable"] if v != INTERCEPT})
        info: dict[str, Any] = {"method": stored.method, "variables": variables}
        rows = (groups == group).to_numpy()
        if campaign.variance_method == "bootstrap":
            notes[group] = {**info, "note": "bootstrap", "detail": ""}
            continue
        if not rows.any():
            notes[group] = {**info, "note": "no_respondents", "detail": ""}
            continue
        problem: tuple[str, str] | None = None
        columns: dict[str, pd.Series] = {}
        for variable in variables:
            answers = frame[variable] if variable in frame.columns else pd.Series(pd.NA, index=frame.index)
            mine = answers[rows]
            levels = margins.loc[
                (margins["variable"] == variable) & (margins["level"] != ""), "level"
            ].tolist()
            if mine.isna().any():
                problem = ("unanswered", f"{variable}: {int(mine.isna().sum())}")
                break
            if levels:
                given = mine.astype(str)
                unknown = sorted(set(given) - set(levels))
                if unknown:
                    problem = ("unknown_levels", f"{variable}: {', '.join(unknown)}")
                    break
                empty = [lev for lev in levels if not (given == lev).any()]
                if empty:
                    problem = ("empty_levels", f"{variable}: {', '.join(empty)}")
                    break
                columns[variable] = answers.astype("string")
            else:
                columns[variable] = pd.to_numeric(answers, errors="coerce")
        if problem is not None:
            notes[group] = {**info, "note": problem[0], "detail": problem[1]}
            continue
        renamed = margins.assign(
            variable=[v if v == INTERCEPT else AUX_PREFIX + v for v in margins["variable"]]
        )
        info["units_kept"] = False
        if (
            rules is not None
            and populations is not None
            and stored.method in ("rake", "linear")
            and bool(((rules["group"] == group) & (rules["rule"] == "population")).any())
        ):
            population = float(rules.loc[rules["group"] == group, "population"].iloc[0])
            implied = [
                float(margins.loc[margins["variable"] == v, "total"].sum())
                for v in variables
                if (margins.loc[margins["variable"] == v, "level"] != "").all()
            ] + margins.loc[margins["variable"] == INTERCEPT, "total"].astype(float).tolist()
            off = [t for t in implied if abs(t - population) > 0.5]
            if off:
                # No thousands separator: the detail is shown as it is, in either language.
                detail = f"{off[0]:.0f} / {population:.0f}"
                notes[group] = {**info, "note": "population_mismatch", "detail": detail}
                continue
            renamed = pd.concat([renamed, _unit_margins(frame, rows, populations, group)], ignore_index=True)
            frame[AUX_PREFIX + "unit"] = frame["unit"].astype("string")
            info["units_kept"] = True
        for variable, values in columns.items():
            frame[AUX_PREFIX + variable] = values
        plans[group] = (stored.method, renamed)  # type: ignore[assignment]
        notes[group] = info
    return plans, notes
