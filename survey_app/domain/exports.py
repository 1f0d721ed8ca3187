"""Response exports: one path for the console and the CLI, from the database to the wide layout of
``docs/exports.md`` (the file writers are in :mod:`survey_app.domain.files`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from questionnaires.model import Questionnaire
from survey_app.domain.files import META_COLUMNS
from survey_app.domain.questionnaires import campaign_versions
from survey_app.extensions import db
from survey_app.models import (
    Campaign,
    Response,
    Unit,
)
from survey_app.respondent.questions import export_items, question_type


@dataclass
class ExportTable:
    """Responses of one questionnaire version in the wide export layout (see ``docs/exports.md``)."""

    questionnaire: Questionnaire
    columns: list[str]
    rows: list[list[Any]]


def response_tables(campaign: Campaign, *, labels: str | None = None) -> list[ExportTable]:
    """One table per questionnaire version used by ``campaign``; rows ordered by the random response id.

    ``labels`` (a language code) writes option labels instead of codes.
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
        for response in db.session.scalars(
            select(Response)
            .where(Response.campaign_id == campaign.id, Response.questionnaire_version_id == version_id)
            .order_by(Response.id)
        ):
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
