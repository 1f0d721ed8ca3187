"""Published national averages of the index (KPK's "Indeks Integritas Nasional"), the reference line of the
results page and the report.

The sourced defaults are the bundled ``survey_app/data/national_spi.csv`` (year, index, source address and
a note on where the number comes from); an administrator corrects or adds a year in the console
(:func:`set_figure`, audit-logged), stored as a :class:`NationalFigure` that overrides the bundled row.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select

from survey_app.domain.accounts import audit
from survey_app.domain.errors import N_, DomainError
from survey_app.extensions import db
from survey_app.models import Campaign, NationalFigure, User
from survey_app.models.types import utcnow

BUNDLED = "national_spi.csv"


@dataclass(frozen=True)
class Figure:
    year: int
    value: float
    source_url: str
    note: str
    #: ``bundled`` (the sourced file) or ``edited`` (an administrator's entry).
    origin: str


def bundled_figures() -> dict[int, Figure]:
    """The rows of the bundled file by year."""
    text = resources.files("survey_app").joinpath("data", BUNDLED).read_text(encoding="utf-8")
    out = {}
    for line, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            year, value = int(row["year"]), float(row["index"])
        except (KeyError, TypeError, ValueError) as error:
            raise DomainError(
                N_("%(file)s, line %(line)s: year and index must be numbers (%(error)s)"),
                file=BUNDLED,
                line=line,
                error=error,
            ) from error
        out[year] = Figure(year, value, row.get("source_url") or "", row.get("note") or "", "bundled")
    return out


def figures() -> list[Figure]:
    """Every year's national figure, oldest first: the bundled ones, with an administrator's entries over
    them."""
    out = bundled_figures()
    for row in db.session.scalars(select(NationalFigure)):
        out[row.year] = Figure(row.year, row.value, row.source_url, row.note, "edited")
    return [out[y] for y in sorted(out)]


def campaign_year(campaign: Campaign) -> int | None:
    """The year a campaign's results belong to: the first four-digit year in its period, else its opening
    year."""
    found = re.search(r"(19|20)\d{2}", campaign.period or "")
    if found:
        return int(found.group(0))
    return campaign.opens_on.year if campaign.opens_on else None


def reference_for(campaign: Campaign) -> Figure | None:
    """The national figure to set beside ``campaign``: of its own year, else the latest published before it
    (this year's national figure comes out after the institutions' results)."""
    year = campaign_year(campaign)
    known = figures()
    if year is None:
        return known[-1] if known else None
    earlier = [f for f in known if f.year <= year]
    return earlier[-1] if earlier else None


def set_figure(year: int, value: float, source_url: str, note: str, *, actor: User) -> NationalFigure:
    """Record ``value`` as ``year``'s national figure (audit-logged; flushed, not committed)."""
    if not 2000 <= year <= 2100:
        raise DomainError(N_("year %(year)s: expected a year between 2000 and 2100"), year=year)
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise DomainError(
            N_("national index %(value)s for %(year)s: expected a number from 0 to 100"),
            value=f"{value:g}",
            year=year,
        )
    if source_url and not re.match(r"https?://", source_url):
        raise DomainError(
            N_("source %(url)s: expected a web address starting with http:// or https://"),
            url=repr(source_url),
        )
    row = db.session.get(NationalFigure, year)
    before = None if row is None else row.value
    if row is None:
        row = NationalFigure(year=year, value=value, source_url=source_url, note=note, updated_by=actor.email)
        db.session.add(row)
    else:
        row.value, row.source_url, row.note = value, source_url, note
        row.updated_by, row.updated_at = actor.email, utcnow()
    audit("national.set", f"national:{year}", value=value, before=before, source=source_url, user=actor)
    db.session.flush()
    return row


def reset_figure(year: int, *, actor: User) -> None:
    """Drop an administrator's entry for ``year`` (the bundled figure, if any, applies again)."""
    row = db.session.get(NationalFigure, year)
    if row is None:
        raise DomainError(N_("no edited national figure for %(year)s"), year=year)
    audit("national.reset", f"national:{year}", before=row.value, user=actor)
    db.session.delete(row)
    db.session.flush()
