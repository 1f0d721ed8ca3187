"""Response exports: one path for the console and the CLI, from the database to the wide layout of
``docs/exports.md`` (the file writers are in :mod:`survey_app.domain.files`).

:func:`export_tables` is that path, with its rules (``docs/exports.md``, "Who may read what"): only a data
steward (:func:`survey_app.domain.accounts.may_read_rows`) reads rows; while the campaign is not closed only
responses submitted before today are included (:func:`released_before`); a unit with fewer responses than
the minimum cell size is shown as its parent unit, or as ``other`` (:func:`coarsened_units`); free-text
answers only on request. :func:`response_tables` is the raw reading under it, for the rules and tests alone.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select

from questionnaires.model import Questionnaire
from survey_app.domain.accounts import may_read_rows
from survey_app.domain.campaigns import CampaignState, state
from survey_app.domain.disclosure import effective_min_cell
from survey_app.domain.errors import DomainError
from survey_app.domain.files import META_COLUMNS
from survey_app.domain.questionnaires import campaign_versions
from survey_app.extensions import db
from survey_app.models import (
    Campaign,
    Response,
    Unit,
    User,
)
from survey_app.respondent.questions import export_items, question_type


@dataclass
class ExportTable:
    """Responses of one questionnaire version in the wide export layout (see ``docs/exports.md``)."""

    questionnaire: Questionnaire
    columns: list[str]
    rows: list[list[Any]]


#: What a response's unit becomes when neither its unit nor any unit above it has enough responses.
OTHER_UNIT = "other"
UNIT_COLUMN = META_COLUMNS.index("unit")


class ExportNotAllowedError(DomainError):
    """The account may not download row-level responses (the console answers 403 with this message)."""


def response_tables(
    campaign: Campaign, *, labels: str | None = None, submitted_before: date | None = None
) -> list[ExportTable]:
    """One table per questionnaire version used by ``campaign``; rows ordered by the random response id.

    The raw rows, without the export rules: downloads go through :func:`export_tables`. ``labels`` (a
    language code) writes option labels instead of codes; ``submitted_before`` keeps the responses submitted
    before that day.
    """
    units = dict(
        db.session.execute(
            select(Unit.id, Unit.code).where(Unit.institution_id == campaign.institution_id)
        ).all()
    )
    tables = []
    for version_id, questionnaire in campaign_versions(campaign):
        items = export_items(questionnaire)
        rows = []
        query = select(Response).where(
            Response.campaign_id == campaign.id, Response.questionnaire_version_id == version_id
        )
        if submitted_before is not None:
            query = query.where(Response.submitted_on < submitted_before)
        for response in db.session.scalars(query.order_by(Response.id)):
            meta = [
                str(response.id),
                campaign.slug,
                response.respondent_group,
                units.get(response.unit_id, "") if response.unit_id is not None else "",
                response.stratum or "",
                response.weight,
                response.open_access,
                questionnaire.content_hash,
                response.submitted_on.isoformat(),
                response.duration_seconds,
            ]
            answers = response.answers
            if labels:
                cells = [
                    question_type(i).display(i, answers[i.id], questionnaire, labels)
                    if i.id in answers
                    else None
                    for i in items
                ]
            else:
                cells = [question_type(i).export(answers.get(i.id)) for i in items]
            rows.append(meta + cells)
        tables.append(ExportTable(questionnaire, [*META_COLUMNS, *(i.id for i in items)], rows))
    return tables


def released_before(campaign: Campaign, day: date) -> date | None:
    """The day before which responses may be exported on ``day``; ``None``: all of them (closed campaign).

    A response enters ``responses`` when it is released from the holding area, and the release time is not
    stored; its ``submitted_on`` is the day it was submitted, no later than its release. "Released at least a
    day earlier" is therefore read as "submitted before today": a row exported today was in a batch of the
    previous days, never one that arrived an hour ago next to a respondent still at the counter.
    """
    if state(campaign, day) is CampaignState.CLOSED:
        return None
    return day


def has_unreleased(campaign: Campaign, group: str, day: date | None) -> bool:
    """Whether ``group`` of ``campaign`` has responses not yet released for export: submitted on ``day``
    (:func:`released_before`) or later."""
    if day is None:
        return False
    found = db.session.scalar(
        select(Response.id)
        .where(
            Response.campaign_id == campaign.id,
            Response.respondent_group == group,
            Response.submitted_on >= day,
        )
        .limit(1)
    )
    return found is not None


def coarsened_units(
    counts: Mapping[str, int], parents: Mapping[str, str | None], min_cell: int
) -> dict[str, str]:
    """For each unit code of ``counts`` (responses per unit), the unit an export shows instead: the unit
    itself if it has at least ``min_cell`` responses, else its parent, which then counts them as its own, and
    so upwards; ``other`` when even the top unit stays small. Deepest units go first, so a parent decides
    with its small children's responses added.

    >>> tree = {"A": None, "B": "A", "C": "B", "D": None}
    >>> coarsened_units({"A": 1, "B": 2, "C": 3, "D": 9}, tree, 5)
    {'A': 'other', 'B': 'B', 'C': 'B', 'D': 'D'}
    >>> coarsened_units({"C": 3, "D": 9}, tree, 5)
    {'C': 'other', 'D': 'D'}
    >>> coarsened_units({"B": 6, "C": 2}, tree, 5)
    {'B': 'B', 'C': 'B'}
    """

    def depth(code: str) -> int:
        steps, seen = 0, {code}
        parent = parents.get(code)
        while parent is not None and parent not in seen:
            seen.add(parent)
            steps, parent = steps + 1, parents.get(parent)
        return steps

    pooled = Counter({code: n for code, n in counts.items() if n > 0})
    moved: dict[str, str] = {}
    # Units without responses of their own are visited too: their small children's responses may pool there.
    for code in sorted({*pooled, *_ancestors(pooled, parents)}, key=depth, reverse=True):
        n = pooled.get(code, 0)
        if 0 < n < min_cell:
            target = parents.get(code) or OTHER_UNIT
            pooled[target] += n
            pooled[code] = 0
            moved[code] = target
    shown = {}
    for code in counts:
        target = code
        while target in moved:
            target = moved[target]
        shown[code] = target
    return shown


def _ancestors(codes: Iterable[str], parents: Mapping[str, str | None]) -> set[str]:
    found: set[str] = set()
    for code in codes:
        parent = parents.get(code)
        while parent is not None and parent not in found:
            found.add(parent)
            parent = parents.get(parent)
    return found


def export_tables(
    user: User,
    campaign: Campaign,
    day: date,
    *,
    include_free_text: bool = False,
    labels: str | None = None,
) -> list[ExportTable]:
    """The tables a data steward may download on ``day``, one per questionnaire version (see the module).

    Units are coarsened within each table (one respondent group): a file shows one group's rows, so that is
    the cell a reader of the file sees. Free-text items (``text``, ``long_text``) are left out unless
    ``include_free_text``: they are the answers most likely to name a person. An account without the
    data-steward right gets :class:`ExportNotAllowedError`.
    """
    if not may_read_rows(user):
        raise ExportNotAllowedError(
            "downloading responses needs the data-steward right, which an administrator gives on the "
            "account's page (or flask users steward)"
        )
    units = db.session.execute(
        select(Unit.code, Unit.parent_id, Unit.id).where(Unit.institution_id == campaign.institution_id)
    ).all()
    code_of = {unit_id: code for code, _, unit_id in units}
    parents = {code: code_of.get(parent) if parent is not None else None for code, parent, _ in units}
    min_cell = effective_min_cell(campaign)
    tables = []
    for table in response_tables(campaign, labels=labels, submitted_before=released_before(campaign, day)):
        counts = Counter(row[UNIT_COLUMN] for row in table.rows if row[UNIT_COLUMN])
        shown = coarsened_units(counts, parents, min_cell)
        keep = [
            i
            for i, column in enumerate(table.columns)
            if i < len(META_COLUMNS)
            or include_free_text
            or not table.questionnaire.item(column).type.is_free_text
        ]
        rows = []
        for row in table.rows:
            row = [*row]
            if row[UNIT_COLUMN]:
                row[UNIT_COLUMN] = shown[row[UNIT_COLUMN]]
            rows.append([row[i] for i in keep])
        tables.append(replace(table, columns=[table.columns[i] for i in keep], rows=rows))
    return tables


def union_rows(tables: Sequence[ExportTable]) -> tuple[list[str], Iterator[list[Any]]]:
    """The rows of several versions' tables under one header: the metadata columns, then every item id
    in the order the tables name them; a cell an item's version does not have is ``None``."""
    item_columns: list[str] = []
    for table in tables:
        item_columns.extend(c for c in table.columns[len(META_COLUMNS) :] if c not in item_columns)
    header = [*META_COLUMNS, *item_columns]

    def rows() -> Iterator[list[Any]]:
        for table in tables:
            position = {c: i for i, c in enumerate(table.columns)}
            for row in table.rows:
                yield [row[position[c]] if c in position else None for c in header]

    return header, rows()


def count_responses(campaign: Campaign) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Response).where(Response.campaign_id == campaign.id)
        )
        or 0
    )


def to_csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
