"""Stored questionnaire versions: store a validated questionnaire once (by content hash), find a stored
version, and the versions a campaign uses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from questionnaires.model import Questionnaire
from survey_app.domain.errors import N_, DomainError
from survey_app.extensions import db
from survey_app.models import (
    Campaign,
    CampaignQuestionnaire,
    QuestionnaireVersion,
)
from survey_app.respondent.versions import loaded_version


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
        raise DomainError(
            N_(
                "questionnaire %(id)s version %(version)s is already stored with different content "
                "(%(hash)s); a changed questionnaire needs a new version number"
            ),
            id=questionnaire.id,
            version=questionnaire.version,
            hash=clash.content_hash,
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
        raise DomainError(
            N_(
                "no stored questionnaire version %(reference)s (load it first: flask questionnaire load FILE)"
            ),
            reference=repr(reference),
        )
    return found


def campaign_versions(campaign: Campaign) -> list[tuple[int, Questionnaire]]:
    """The questionnaire versions ``campaign`` uses, by respondent group: ``(version id, questionnaire)``.

    Parsed once per process (:func:`survey_app.respondent.versions.loaded_version`); the canonical JSON is
    read only for a version this process has not seen.
    """
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

        def canonical_json(vid: int = version_id) -> str:
            # The version exists: the query above just read its row, through the campaign that links it.
            return db.session.scalars(
                select(QuestionnaireVersion.canonical_json).where(QuestionnaireVersion.id == vid)
            ).one()

        loaded = loaded_version(content_hash, canonical_json)
        out.append((version_id, loaded.questionnaire))
    return out
