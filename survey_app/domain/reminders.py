"""Scheduled reminders: a campaign's rule for when reminders go out by themselves, and which campaigns are
due today.

A campaign without a :class:`~survey_app.models.ReminderSchedule` row is reminded only when an administrator
sends reminders, at most :data:`DEFAULT_MAX_REMINDERS` per person. With ``every_days`` set, the daily
reminder task (:func:`survey_app.worker.reminders_task`, at ``REMINDER_HOUR`` local time) reminds each drawn
person whose last message is at least that many days old and who has not finished, while the campaign is
open; never someone who answered, opted out or whose message bounced
(:func:`survey_app.domain.delivery.pending_contacts`). The time of a person's last message is the delivery
log's, which holds no address and no token and is never joined to a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from survey_app.domain.accounts import audit
from survey_app.domain.campaigns import CampaignState, state
from survey_app.domain.errors import N_, DomainError
from survey_app.extensions import db
from survey_app.models import Campaign, ReminderSchedule, User
from survey_app.models.types import utcnow

#: Reminders a person gets at most where the campaign set no rule.
DEFAULT_MAX_REMINDERS = 2
#: The bounds the console and the database accept.
MAX_EVERY_DAYS = 60
MAX_REMINDERS_LIMIT = 5


@dataclass(frozen=True)
class Schedule:
    """``every_days``: days after a person's last message (0: only when sent from the console or the
    command line); ``max_reminders``: at most this many reminders per person."""

    every_days: int = 0
    max_reminders: int = DEFAULT_MAX_REMINDERS

    @property
    def automatic(self) -> bool:
        return self.every_days > 0


def schedule_of(campaign: Campaign) -> Schedule:
    """The campaign's reminder rule (the default where it has none)."""
    stored = db.session.get(ReminderSchedule, campaign.id)
    if stored is None:
        return Schedule()
    return Schedule(stored.every_days, stored.max_reminders)


def save_schedule(campaign: Campaign, every_days: int, max_reminders: int, user: User | None) -> Schedule:
    """Store the campaign's reminder rule (flushed, audited); out-of-range values are refused with the field
    named."""
    if not 0 <= every_days <= MAX_EVERY_DAYS:
        raise DomainError(
            N_("Days between reminders: %(value)s is not between 0 and %(limit)s."),
            value=every_days,
            limit=MAX_EVERY_DAYS,
        )
    if not 0 <= max_reminders <= MAX_REMINDERS_LIMIT:
        raise DomainError(
            N_("Reminders per person: %(value)s is not between 0 and %(limit)s."),
            value=max_reminders,
            limit=MAX_REMINDERS_LIMIT,
        )
    stored = db.session.get(ReminderSchedule, campaign.id)
    if stored is None:
        stored = ReminderSchedule(campaign_id=campaign.id, updated_by="")
        db.session.add(stored)
    stored.every_days, stored.max_reminders = every_days, max_reminders
    stored.updated_at, stored.updated_by = utcnow(), user.email if user is not None else "system"
    audit(
        "messages.reminder_schedule",
        f"campaign:{campaign.slug}",
        user=user,
        every_days=every_days,
        max_reminders=max_reminders,
    )
    db.session.flush()
    return Schedule(every_days, max_reminders)


@dataclass(frozen=True)
class DueReminders:
    campaign_id: int
    schedule: Schedule
    #: Remind those whose last message went out at or before this moment.
    sent_before: datetime


def due_campaigns(today: date, now: datetime) -> list[DueReminders]:
    """The open campaigns with an automatic reminder rule, and the moment a person's last message must
    predate to be reminded now."""
    rows = db.session.execute(
        select(Campaign, ReminderSchedule)
        .join(ReminderSchedule, ReminderSchedule.campaign_id == Campaign.id)
        .where(ReminderSchedule.every_days > 0, ReminderSchedule.max_reminders > 0)
        .order_by(Campaign.id)
    ).all()
    return [
        DueReminders(
            campaign.id,
            Schedule(rule.every_days, rule.max_reminders),
            # Half a day of slack: a message sent at 09:05 is due at 09:00 on the day it is due.
            now - timedelta(days=rule.every_days) + timedelta(hours=12),
        )
        for campaign, rule in rows
        if state(campaign, today) is CampaignState.OPEN
    ]
