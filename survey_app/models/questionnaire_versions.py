"""Questionnaire versions: the canonical JSON of a validated questionnaire, identified by its content hash.

A version is immutable: its content is its identity (the hash), and once a campaign uses it, answers refer to
its item ids. The code refuses updates of the content (``before_update`` below); the migration installs a
trigger that refuses them in the database as well, and foreign keys with ``RESTRICT`` keep a used version from
being deleted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, deferred, mapped_column

from questionnaires.model import Questionnaire
from survey_app.models.base import Base
from survey_app.models.types import GROUPS, UTCDateTime, in_values


class ImmutableVersionError(RuntimeError):
    """Raised when code tries to change the content of a stored questionnaire version."""


class QuestionnaireVersion(Base):
    __tablename__ = "questionnaire_versions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "version", name="uq_questionnaire_versions_id_version"),
        CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    respondent_group: Mapped[str] = mapped_column(String(20))
    # Deferred: pages only need the hash (the parsed questionnaire is cached per hash in-process).
    canonical_json: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    content_hash: Mapped[str] = mapped_column(String(80), unique=True)
    loaded_on: Mapped[date]
    #: Archived: no longer offered for new campaigns; campaigns that use it keep it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def from_questionnaire(cls, questionnaire: Questionnaire, today: date) -> QuestionnaireVersion:
        return cls(
            questionnaire_id=questionnaire.id,
            version=questionnaire.version,
            respondent_group=questionnaire.group.value,
            canonical_json=questionnaire.canonical_json(),
            content_hash=questionnaire.content_hash,
            loaded_on=today,
        )


@event.listens_for(QuestionnaireVersion, "before_update")
def _refuse_content_change(
    mapper: Mapper[QuestionnaireVersion], conn: Connection, target: QuestionnaireVersion
) -> None:
    state = inspect(target)
    for name in ("canonical_json", "content_hash", "questionnaire_id", "version", "respondent_group"):
        if state.attrs[name].history.has_changes():
            raise ImmutableVersionError(
                f"questionnaire version {target.content_hash} is immutable: load a new version instead of "
                f"changing {name}"
            )
