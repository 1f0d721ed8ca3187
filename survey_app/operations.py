"""Operations on campaigns that the CLI (and later the admin console) perform; each commits nothing itself.

Callers own the transaction: a CLI command commits once at the end, so a failure halfway leaves nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from sqlalchemy import func, select

from questionnaires.model import Questionnaire
from questionnaires.profile import ScoringProfile
from survey_app.extensions import db
from survey_app.flow.questions import export_items, question_type
from survey_app.models import (
    GROUPS,
    Campaign,
    CampaignQuestionnaire,
    Institution,
    Invitation,
    QuestionnaireVersion,
    Response,
    Unit,
)

# The export layout is one contract, defined beside the writers that read it.
from survey_app.reporting.tables import META_COLUMNS
from survey_app.tokens import new_token, token_hash


class OperationError(ValueError):
    """Bad input for an operation; the message says what and where."""


def store_questionnaire(questionnaire: Questionnaire, today: date) -> tuple[QuestionnaireVersion, bool]:
    """The stored version with this content (created if new); idempotent by content hash."""
    existing = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.content_hash == questionnaire.content_hash)
    )
    if existing is not None:
        return existing, False
    clash = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire.id,
            QuestionnaireVersion.version == questionnaire.version,
        )
    )
    if clash is not None:
        raise OperationError(
            f"questionnaire {questionnaire.id} version {questionnaire.version} is already stored with "
            f"different content ({clash.content_hash}); a changed questionnaire needs a new version number"
        )
    version = QuestionnaireVersion.from_questionnaire(questionnaire, today)
    db.session.add(version)
    db.session.flush()
    return version, True


def find_version(reference: str) -> QuestionnaireVersion:
    """A stored version by ``id`` (latest loaded), ``id@version`` or ``sha256:…`` hash."""
    query = select(QuestionnaireVersion)
    if reference.startswith("sha256:"):
        query = query.where(QuestionnaireVersion.content_hash == reference)
    elif "@" in reference:
        ident, version = reference.split("@", 1)
        query = query.where(
            QuestionnaireVersion.questionnaire_id == ident, QuestionnaireVersion.version == version
        )
    else:
        query = query.where(QuestionnaireVersion.questionnaire_id == reference)
    found = db.session.scalar(query.order_by(QuestionnaireVersion.id.desc()).limit(1))
    if found is None:
        raise OperationError(
            f"no stored questionnaire version {reference!r} (load it first: flask questionnaire load FILE)"
        )
    return found


# Institutions and units -----------------------------------------------------------------------------------

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
        raise OperationError(
            f"{source}: missing column(s) {', '.join(missing)}; expected {', '.join(UNIT_COLUMNS)}"
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
                raise OperationError(f"{source}, line {line}: column {column} is empty")
        size_text = row.get("population_size", "")
        if size_text and not size_text.isdigit():
            raise OperationError(
                f"{source}, line {line}: population_size {size_text!r} is not a whole number ≥ 0"
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
            raise OperationError(
                f"{source}, line {line}: parent_code {parent_code!r} is not a unit of institution "
                f"{row['institution_code']}"
            )
        if parent is unit:
            raise OperationError(f"{source}, line {line}: unit {parent_code!r} cannot be its own parent")
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
                raise OperationError(f"{source}: the parent codes form a cycle through unit id {current}")
            seen.add(current)
            current = parents.get(current)


# Campaigns ------------------------------------------------------------------------------------------------


def create_campaign(
    *,
    institution_code: str,
    title: str,
    slug: str,
    period: str,
    profile: ScoringProfile,
    versions: Mapping[str, QuestionnaireVersion],
    opens_on: date,
    closes_on: date,
    min_cell: int = 5,
    target_index: float | None = None,
    allow_invitation: bool = True,
    allow_open: bool = False,
    status: str = "open",
) -> Campaign:
    institution = db.session.scalar(select(Institution).where(Institution.code == institution_code))
    if institution is None:
        raise OperationError(f"no institution with code {institution_code!r} (import it first)")
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise OperationError(f"a campaign with slug {slug!r} already exists")
    if closes_on < opens_on:
        raise OperationError(f"the close date {closes_on} is before the open date {opens_on}")
    if min_cell < 1:
        raise OperationError(f"min cell size must be at least 1, got {min_cell}")
    if not (allow_invitation or allow_open):
        raise OperationError("a campaign needs at least one access mode (invitation or open)")
    if not versions:
        raise OperationError("a campaign needs a questionnaire version for at least one group")
    for group, version in versions.items():
        if group not in GROUPS:
            raise OperationError(f"unknown respondent group {group!r} (expected one of {', '.join(GROUPS)})")
        if version.respondent_group != group:
            raise OperationError(
                f"questionnaire {version.questionnaire_id}@{version.version} is for group "
                f"{version.respondent_group}, not {group}"
            )
    campaign = Campaign(
        institution=institution,
        slug=slug,
        title=title,
        period=period,
        profile_id=profile.id,
        profile_json=profile.canonical_json(),
        min_cell=min_cell,
        target_index=target_index,
        opens_on=opens_on,
        closes_on=closes_on,
        status=status,
        allow_invitation=allow_invitation,
        allow_open=allow_open,
    )
    db.session.add(campaign)
    for group, version in versions.items():
        db.session.add(
            CampaignQuestionnaire(
                campaign=campaign, respondent_group=group, questionnaire_version_id=version.id
            )
        )
    db.session.flush()
    return campaign


def find_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        known = ", ".join(db.session.scalars(select(Campaign.slug).order_by(Campaign.slug)).all()) or "none"
        raise OperationError(f"no campaign with slug {slug!r} (known: {known})")
    return campaign


# Invitations ----------------------------------------------------------------------------------------------


def issue_invitations(
    campaign: Campaign,
    group: str,
    unit_code: str,
    count: int,
    *,
    stratum: str | None = None,
    weight: float = 1.0,
    progress: Iterable[int] | None = None,
) -> list[str]:
    """Create ``count`` invitations and return their tokens: the only time the plain tokens exist."""
    if count < 1:
        raise OperationError(f"count must be at least 1, got {count}")
    if not weight > 0:
        raise OperationError(f"weight must be greater than 0, got {weight}")
    configured = {q.respondent_group for q in campaign.questionnaires}
    if group not in configured:
        raise OperationError(
            f"campaign {campaign.slug} has no questionnaire for group {group!r} "
            f"(it has: {', '.join(sorted(configured)) or 'none'})"
        )
    if not campaign.allow_invitation:
        raise OperationError(f"campaign {campaign.slug} does not use invitations (open access only)")
    unit = db.session.scalar(
        select(Unit).where(Unit.institution_id == campaign.institution_id, Unit.code == unit_code)
    )
    if unit is None:
        raise OperationError(f"no unit {unit_code!r} in the institution of campaign {campaign.slug}")
    tokens = []
    for _ in progress if progress is not None else range(count):
        token = new_token()
        tokens.append(token)
        db.session.add(
            Invitation(
                token_hash=token_hash(token),
                campaign_id=campaign.id,
                respondent_group=group,
                unit_id=unit.id,
                stratum=stratum,
                weight=weight,
                state="issued",
            )
        )
    db.session.flush()
    return tokens


# Responses ------------------------------------------------------------------------------------------------


@dataclass
class ExportTable:
    """Responses of one questionnaire version in the wide export layout (see ``docs/exports.md``)."""

    questionnaire: Questionnaire
    columns: list[str]
    rows: list[list[Any]]


def campaign_versions(campaign: Campaign) -> list[tuple[int, Questionnaire]]:
    """The questionnaire versions ``campaign`` uses, by respondent group: ``(version id, questionnaire)``.

    Parsed once per process (:func:`survey_app.flow.versions.loaded_version`); the canonical JSON is read
    only for a version this process has not seen.
    """
    from survey_app.flow.versions import loaded_version

    rows = db.session.execute(
        select(QuestionnaireVersion.id, QuestionnaireVersion.content_hash)
        .join(
            CampaignQuestionnaire, CampaignQuestionnaire.questionnaire_version_id == QuestionnaireVersion.id
        )
        .where(CampaignQuestionnaire.campaign_id == campaign.id)
        .order_by(CampaignQuestionnaire.respondent_group)
    ).all()
    out = []
    for version_id, content_hash in rows:
        loaded = loaded_version(
            content_hash,
            lambda vid=version_id: db.session.scalar(  # type: ignore[misc]
                select(QuestionnaireVersion.canonical_json).where(QuestionnaireVersion.id == vid)
            ),
        )
        out.append((version_id, loaded.questionnaire))
    return out


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
