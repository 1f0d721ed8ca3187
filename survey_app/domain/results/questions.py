"""Question-level figures of a run: the share of each answer to every single-choice question, per unit and
for the institution, per respondent group (:func:`scoring.index.answers.answer_share_tables`).

Computed with the run and stored in it (``questions``, ``overall_questions``), so the page, the report and a
download read the same numbers; shown only through :func:`survey_app.domain.results.rows.shown_tables`,
which withholds a unit's question where fewer than ``min_cell`` answered it, and a second unit where the
institution's figure would otherwise give a withheld one back.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from questionnaires.model import ItemType, Questionnaire
from questionnaires.profile import ScoringProfile
from scoring.index.answers import answer_share_tables
from scoring.index.publication import publication_rules

#: The columns of a stored question table besides the cell's keys.
FIGURES = ["estimate", "se", "ci_low", "ci_high", "df", "n"]


def choice_items(questionnaire: Questionnaire) -> dict[str, list[str]]:
    """Single-choice items of ``questionnaire`` → their answer codes in the scale's order."""
    out: dict[str, list[str]] = {}
    for item in questionnaire.iter_items():
        if item.type is ItemType.SELECT_ONE and item.scale is not None and item.scale in questionnaire.scales:
            out[item.id] = [o.code for o in questionnaire.scales[item.scale].options]
    return out


def question_tables(
    frame: pd.DataFrame,
    questionnaires: Sequence[Questionnaire],
    profile: ScoringProfile,
    *,
    level: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(questions, overall_questions)``: answer shares per unit × group and per institution × group,
    with the profile's publication rules (minimum cell and minimum respondents per group)."""
    units: list[pd.DataFrame] = []
    overall: list[pd.DataFrame] = []
    groups = frame["group"].astype("string")
    design = [
        c for c in ("unit", "institution", "weight", "stratum", "fpc", "open_access") if c in frame.columns
    ]
    for questionnaire in questionnaires:
        group = questionnaire.group.value
        items = {k: v for k, v in choice_items(questionnaire).items() if k in frame.columns}
        # Only the columns the shares read: the frame holds every questionnaire's answers.
        rows = frame.loc[(groups == group).to_numpy(dtype=bool, na_value=False), [*design, *items]]
        if rows.empty or not items:
            continue
        tables = answer_share_tables(rows, items, [["unit"], ["institution"]], level=level)
        for table, parts in zip(tables, (units, overall), strict=True):
            table.insert(1, "group", group)
            parts.append(table)

    def finish(parts: list[pd.DataFrame], key: str) -> pd.DataFrame:
        if not parts:
            return pd.DataFrame(columns=[key, "group", "item", "answer", *FIGURES, "published", "suppressed"])
        table = pd.concat(parts, ignore_index=True)
        table[key] = table[key].astype(str)
        return publication_rules(
            table, min_cell=profile.min_cell, min_respondents=profile.min_respondents_per_group
        )

    return finish(units, "unit"), finish(overall, "institution")


@dataclass(frozen=True)
class AnswerShare:
    """One answer's share in a question's row, as shown."""

    code: str
    label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class QuestionRow:
    """One question of one group in one place (a unit or the institution), as the page and report show it."""

    group: str
    item: str
    label: str
    n: int | None
    n_below: int | None
    suppressed: bool
    suppression: str | None
    published: bool
    answers: tuple[AnswerShare, ...]
    #: The earlier run since which the question changed too little (the change gate), where that withheld it.
    changed_since: int | None = None


def _value(record: dict[Hashable, Any], key: str) -> Any:
    value = record.get(key)
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def question_rows(
    table: pd.DataFrame, questionnaires: Sequence[Questionnaire], lang: str, *, where: str, place: str
) -> list[QuestionRow]:
    """The rows of a shown question table (``where`` is ``unit`` or ``institution``, ``place`` its code),
    in questionnaire order, with the question and answer texts in ``lang``."""
    if table.empty or where not in table.columns:
        return []
    mine = table.loc[table[where].astype(str) == place]
    cells: dict[tuple[str, str], list[dict[Hashable, Any]]] = {}
    for record in mine.astype(object).where(mine.notna(), None).to_dict(orient="records"):
        cells.setdefault((str(record["group"]), str(record["item"])), []).append(record)
    out = []
    for questionnaire in questionnaires:
        group = questionnaire.group.value
        for item in questionnaire.iter_items():
            records = cells.get((group, item.id))
            if not records or item.scale is None or item.scale not in questionnaire.scales:
                continue
            options = {o.code: o for o in questionnaire.scales[item.scale].options}
            first = records[0]
            shares = tuple(
                AnswerShare(
                    code=str(r["answer"]),
                    label=_text(options[str(r["answer"])].label, lang)
                    if str(r["answer"]) in options
                    else str(r["answer"]),
                    estimate=_value(r, "estimate"),
                    ci_low=_value(r, "ci_low"),
                    ci_high=_value(r, "ci_high"),
                )
                for r in records
            )
            n, n_below = _value(first, "n"), _value(first, "n_below")
            out.append(
                QuestionRow(
                    group=group,
                    item=item.id,
                    label=_text(item.label, lang),
                    n=None if n is None else int(n),
                    n_below=None if n_below is None else int(n_below),
                    suppressed=bool(first.get("suppressed")),
                    suppression=_value(first, "suppression"),
                    published=bool(first.get("published")) and _value(first, "estimate") is not None,
                    answers=shares,
                    changed_since=None
                    if _value(first, "changed_since") is None
                    else int(first["changed_since"]),
                )
            )
    return out


def _text(text: Any, lang: str) -> str:
    """A questionnaire text in ``lang``, else its first language."""
    if not text:
        return ""
    return str(text.get(lang) or next(iter(text.values())))
