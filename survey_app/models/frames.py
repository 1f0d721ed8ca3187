"""Population lists (frames) per campaign × unit × group, their contacts, and the recorded draw.

Contacts are personal data kept only to deliver invitations: no response refers to a contact or an
invitation, and the retention task deletes them at close + ``CONTACT_RETENTION_DAYS``
(:func:`survey_app.domain.frames.purge_contacts`). A drawn contact points to its invitation (to send it and
to remind non-finishers); the invitation points to nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base
from survey_app.models.campaigns import Campaign
from survey_app.models.institutions import Unit
from survey_app.models.types import GROUPS, JSONDocument, UTCDateTime, in_values, utcnow


class PopulationFrame(Base):
    """The population of one unit in one respondent group of a campaign: its size and where it came from.

    ``size`` stays after the contacts are deleted: it is the population the results are weighted to.
    """

    __tablename__ = "population_frames"
    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id", "respondent_group"),
        CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    respondent_group: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    #: :func:`scoring.frames.frame_hash` of the whole validated upload this frame came from.
    upload_hash: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(255))
    #: When the contacts were deleted (retention); the size is kept.
    contacts_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()


class FrameContact(Base):
    """One person of a frame: how to reach them, auxiliary columns for calibration, and their invitation
    once drawn."""

    __tablename__ = "frame_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("population_frames.id", ondelete="CASCADE"), index=True)
    #: The row's position in the upload (the draw's order).
    position: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    auxiliary: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), unique=True
    )
    #: Messages delivered to this contact: the invitation (1) and reminders after it.
    messages_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The keyed hash of the contact's opt-out token (:func:`survey_app.domain.delivery.optout_token`), set
    #: with the first message; the token itself is in the messages only.
    optout_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the person asked for no more messages: nothing is sent to them after it.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    frame: Mapped[PopulationFrame] = relationship()


DELIVERY_KINDS: tuple[str, ...] = ("invitation", "reminder")
DELIVERY_STATUSES: tuple[str, ...] = ("sent", "failed", "bounced")
#: ``email`` over SMTP (:mod:`survey_app.mail`), ``gateway``: WhatsApp/SMS (:mod:`survey_app.gateway`).
DELIVERY_CHANNELS: tuple[str, ...] = ("email", "gateway")
#: The language of the messages of a campaign: Indonesian, English, or both in one message.
MESSAGE_LANGUAGES: tuple[str, ...] = ("id", "en", "both")


class DeliveryEntry(Base):
    """One message's outcome: sent, failed with the server's reason (the recipient's address removed), or
    bounced (a gateway's later status report).

    Holds no token, no link and no address; the contact it went to is gone with the contacts.
    """

    __tablename__ = "delivery_log"
    __table_args__ = (
        CheckConstraint(in_values("kind", DELIVERY_KINDS), name="kind"),
        CheckConstraint(in_values("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint(in_values("channel", DELIVERY_CHANNELS), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("frame_contacts.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), default="email", server_default="email")
    #: A random reference sent to the gateway with the message, by which its status report finds the entry
    #: (never the survey token).
    reference: Mapped[str | None] = mapped_column(String(64), unique=True)


class MessageTemplates(Base):
    """A campaign's own invitation and reminder texts (:data:`survey_app.domain.delivery.TEMPLATES` where
    it has none) and the language its messages are written in."""

    __tablename__ = "message_templates"
    __table_args__ = (CheckConstraint(in_values("language", MESSAGE_LANGUAGES), name="language"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), default="id")
    #: ``{"id": {"invitation_subject": ..., "invitation_body": ..., "reminder_subject": ...,
    #: "reminder_body": ...}, "en": {...}}``
    texts: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))


class ReminderSchedule(Base):
    """When a campaign's reminders go out by themselves: ``every_days`` after a person's last message (0: only
    when an administrator sends them), at most ``max_reminders`` per person, on demand or scheduled."""

    __tablename__ = "reminder_schedules"
    __table_args__ = (
        CheckConstraint("every_days >= 0 AND every_days <= 60", name="every_days"),
        CheckConstraint("max_reminders >= 0 AND max_reminders <= 5", name="max_reminders"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    every_days: Mapped[int] = mapped_column(Integer, default=0)
    max_reminders: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))


class SampleDraw(Base):
    """A recorded draw (:class:`scoring.sampling.DrawRecord`): one per campaign; another is refused."""

    __tablename__ = "sample_draws"
    __table_args__ = (UniqueConstraint("campaign_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    seed: Mapped[int] = mapped_column(BigInteger)
    frame_hash: Mapped[str] = mapped_column(String(64))
    record: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(255))


CALIBRATION_METHODS: tuple[str, ...] = ("poststratify", "rake", "linear")


class CalibrationMargins(Base):
    """Known population margins of one respondent group of a campaign, and how to calibrate to them.

    ``margins`` are totals only (``variable, level, total`` rows; ``variable`` a questionnaire item's id):
    nothing here refers to a contact or a frame's auxiliary columns, which are never joined to responses.
    """

    __tablename__ = "calibration_margins"
    __table_args__ = (
        UniqueConstraint("campaign_id", "respondent_group"),
        CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),
        CheckConstraint(in_values("method", CALIBRATION_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    respondent_group: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    #: ``[{"variable": ..., "level": ..., "total": ...}, ...]`` in upload order.
    margins: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(255))
