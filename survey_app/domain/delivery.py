"""Invitations and reminders by e-mail: who gets a message, what it says, and the delivery log.

The sending itself (SMTP, retries, throttle) is :mod:`survey_app.mail`, run by the queued task
:func:`survey_app.worker.deliver_task`, which owns the transactions: an invitation's fresh token is committed
(:func:`prepare_message`) before its message goes out, so a crash between the two leaves a link nobody has,
never a sent link that does not work. Tokens exist only inside the message: not in the database (a keyed
hash), not in the delivery log, not in a log line, not in the console.

Reminders go only to drawn people whose invitation is still unspent, at most ``max_reminders`` times. A
reminder carries a new link (the old token is not kept anywhere to send again): the old link stops working,
and a draft started with it moves to the new one, so no answer is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, update

from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import Campaign, Draft, Invitation
from survey_app.models.frames import DeliveryEntry, FrameContact, PopulationFrame
from survey_app.tokens import new_token, token_hash

Kind = Literal["invitation", "reminder"]

#: Message templates per language: ``{institution}``, ``{organiser}``, ``{title}``, ``{closes}``, ``{link}``.
TEMPLATES: dict[str, dict[str, str]] = {
    "id": {
        "invitation_subject": "Undangan Survei Penilaian Integritas {institution}",
        "reminder_subject": "Pengingat: Survei Penilaian Integritas {institution}",
        "body": (
            "Yth. Bapak/Ibu,\n\n"
            "{opening} {organiser} menyelenggarakan {title} untuk menilai integritas {institution}: "
            "pendapat dan pengalaman Anda membantu memperbaiki layanan dan mencegah korupsi.\n\n"
            "Isi survei melalui tautan pribadi berikut sebelum {closes}:\n{link}\n\n"
            "Jawaban Anda anonim: jawaban tidak disimpan bersama nama, alamat surel, tautan, atau waktu "
            "pengisian, dan hasil hanya dilaporkan untuk kelompok yang cukup besar. Tautan ini hanya dapat "
            "dipakai sekali; jangan teruskan kepada orang lain.\n\n"
            "Terima kasih,\n{organiser}\n"
        ),
        "invitation_opening": "Anda terpilih secara acak untuk mengikuti survei ini.",
        "reminder_opening": "Kami mengingatkan bahwa Anda belum menyelesaikan survei ini.",
    },
    "en": {
        "invitation_subject": "Invitation: integrity survey of {institution}",
        "reminder_subject": "Reminder: integrity survey of {institution}",
        "body": (
            "Dear Sir or Madam,\n\n"
            "{opening} {organiser} runs {title} to assess the integrity of {institution}: your views and "
            "experience help improve its services and prevent corruption.\n\n"
            "Please answer through your personal link before {closes}:\n{link}\n\n"
            "Your answers are anonymous: they are not stored with your name, e-mail address, link or the "
            "time "
            "you answered, and results are reported only for groups large enough. The link works once; "
            "please do not forward it.\n\n"
            "Thank you,\n{organiser}\n"
        ),
        "invitation_opening": "You have been selected at random for this survey.",
        "reminder_opening": "This is a reminder that you have not yet finished this survey.",
    },
}


@dataclass(frozen=True)
class Message:
    contact_id: int
    to: str
    subject: str
    body: str


def compose(campaign: Campaign, kind: Kind, link: str, lang: str = "id") -> tuple[str, str]:
    """Subject and body of an invitation or reminder in ``lang`` (``id`` or ``en``)."""
    if lang not in TEMPLATES:
        raise DomainError(f"no message template for language {lang!r} (there are: {', '.join(TEMPLATES)})")
    t = TEMPLATES[lang]
    values = {
        "institution": campaign.institution.name,
        "organiser": campaign.organiser or campaign.institution.name,
        "title": campaign.title,
        "closes": campaign.closes_on.isoformat(),
        "link": link,
    }
    subject = t[f"{kind}_subject"].format(**values)
    body = t["body"].format(opening=t[f"{kind}_opening"], **values)
    return subject, body


def pending_contacts(campaign: Campaign, kind: Kind, max_reminders: int = 2) -> list[int]:
    """Drawn contacts with an e-mail address due a message: never sent (``invitation``), or sent and still
    unfinished with fewer than ``max_reminders`` reminders (``reminder``)."""
    query = (
        select(FrameContact.id)
        .join(PopulationFrame, PopulationFrame.id == FrameContact.frame_id)
        .join(Invitation, Invitation.id == FrameContact.invitation_id)
        .where(
            PopulationFrame.campaign_id == campaign.id, FrameContact.email != "", Invitation.state == "issued"
        )
        .order_by(FrameContact.id)
    )
    if kind == "invitation":
        query = query.where(FrameContact.messages_sent == 0)
    else:
        query = query.where(FrameContact.messages_sent >= 1, FrameContact.messages_sent < 1 + max_reminders)
    return list(db.session.scalars(query))


def prepare_message(
    campaign: Campaign, contact_id: int, kind: Kind, link_for: Callable[[str], str], lang: str = "id"
) -> Message | None:
    """Give the contact's invitation a fresh token (flushed; a draft moves with it) and the message
    carrying it (``link_for`` makes a token a link); ``None`` when the contact is no longer due one
    (spent meanwhile, or deleted)."""
    contact = db.session.get(FrameContact, contact_id)
    if contact is None or contact.invitation_id is None or not contact.email:
        return None
    invitation = db.session.get(Invitation, contact.invitation_id)
    if invitation is None or invitation.state != "issued":
        return None
    token = new_token()
    new_hash = token_hash(token)
    db.session.execute(update(Draft).where(Draft.key == invitation.token_hash).values(key=new_hash))
    invitation.token_hash = new_hash
    db.session.flush()
    subject, body = compose(campaign, kind, link_for(token), lang)
    return Message(contact.id, contact.email, subject, body)


def record_delivery(
    campaign: Campaign, contact_id: int, kind: Kind, sent: bool, attempts: int, reason: str
) -> None:
    """The delivery log entry of one message (flushed); a sent one counts on the contact."""
    db.session.add(
        DeliveryEntry(
            campaign_id=campaign.id,
            contact_id=contact_id,
            kind=kind,
            status="sent" if sent else "failed",
            attempts=attempts,
            reason=reason,
        )
    )
    if sent:
        contact = db.session.get(FrameContact, contact_id)
        if contact is not None:
            contact.messages_sent += 1
    db.session.flush()


def delivery_counts(campaign: Campaign) -> dict[tuple[str, str], int]:
    """Messages per (kind, status) of the campaign, for the console."""
    rows = db.session.execute(
        select(DeliveryEntry.kind, DeliveryEntry.status, func.count())
        .where(DeliveryEntry.campaign_id == campaign.id)
        .group_by(DeliveryEntry.kind, DeliveryEntry.status)
    )
    return {(k, s): int(n) for k, s, n in rows}
