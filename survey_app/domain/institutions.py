"""Institutions and their units: the CSV import (all-or-nothing, every problem by line)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select

from survey_app.domain.errors import N_, DomainError
from survey_app.extensions import db
from survey_app.models import (
    Institution,
    Unit,
)

#: Columns of the institutions/units CSV (``parent_code`` and ``population_size`` may be empty).
UNIT_COLUMNS = (
    "institution_code",
    "institution_name",
    "unit_code",
    "unit_name",
    "parent_code",
    "population_size",
)


@dataclass
class ImportSummary:
    institutions: int = 0
    units_created: int = 0
    units_updated: int = 0


def import_units(handle: IO[str], source: str = "CSV") -> ImportSummary:
    """Institutions and units from CSV (see :data:`UNIT_COLUMNS`); re-importing updates names and sizes."""
    reader = csv.DictReader(handle)
    missing = [c for c in UNIT_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError(
            N_("%(source)s: missing column(s) %(missing)s; expected %(expected)s"),
            source=source,
            missing=", ".join(missing),
            expected=", ".join(UNIT_COLUMNS),
        )
    rows: list[tuple[int, dict[str, str]]] = [
        (line, {k: (v or "").strip() for k, v in row.items() if k})
        for line, row in enumerate(reader, start=2)
    ]
    summary = ImportSummary()
    institutions: dict[str, Institution] = {}
    units: dict[tuple[str, str], Unit] = {}
    for line, row in rows:
        for column in UNIT_COLUMNS[:4]:
            if not row.get(column):
                raise DomainError(
                    N_("%(source)s, line %(line)s: column %(column)s is empty"),
                    source=source,
                    line=line,
                    column=column,
                )
        size_text = row.get("population_size", "")
        if size_text and not size_text.isdigit():
            raise DomainError(
                N_("%(source)s, line %(line)s: population_size %(value)s is not a whole number ≥ 0"),
                source=source,
                line=line,
                value=repr(size_text),
            )
        code = row["institution_code"]
        institution = institutions.get(code) or db.session.scalar(
            select(Institution).where(Institution.code == code)
        )
        if institution is None:
            institution = Institution(code=code, name=row["institution_name"])
            db.session.add(institution)
            summary.institutions += 1
        institution.name = row["institution_name"]
        institutions[code] = institution
        db.session.flush()
        unit = units.get((code, row["unit_code"])) or db.session.scalar(
            select(Unit).where(Unit.institution_id == institution.id, Unit.code == row["unit_code"])
        )
        if unit is None:
            unit = Unit(institution=institution, code=row["unit_code"], name=row["unit_name"])
            db.session.add(unit)
            summary.units_created += 1
        else:
            summary.units_updated += 1
        unit.name = row["unit_name"]
        unit.population_size = int(size_text) if size_text else None
        units[(code, row["unit_code"])] = unit
    db.session.flush()
    for line, row in rows:
        parent_code = row.get("parent_code", "")
        unit = units[(row["institution_code"], row["unit_code"])]
        if not parent_code:
            unit.parent_id = None
            continue
        parent = units.get((row["institution_code"], parent_code)) or db.session.scalar(
            select(Unit).where(Unit.institution_id == unit.institution_id, Unit.code == parent_code)
        )
        if parent is None:
            raise DomainError(
                N_("%(source)s, line %(line)s: parent_code %(parent)s is not a unit of %(institution)s"),
                source=source,
                line=line,
                parent=repr(parent_code),
                institution=row["institution_code"],
            )
        if parent is unit:
            raise DomainError(
                N_("%(source)s, line %(line)s: unit %(unit)s cannot be its own parent"),
                source=source,
                line=line,
                unit=repr(parent_code),
            )
        unit.parent_id = parent.id
    _check_no_cycles(list(units.values()), source)
    db.session.flush()
    return summary


def _check_no_cycles(units: Sequence[Unit], source: str) -> None:
    parents = {u.id: u.parent_id for u in units}
    for start in parents:
        seen = {start}
        current = parents.get(start)
        while current is not None:
            if current in seen:
                raise DomainError(
                    N_("%(source)s: the parent codes form a cycle through unit id %(unit)s"),
                    source=source,
                    unit=current,
                )
            seen.add(current)
            current = parents.get(current)
