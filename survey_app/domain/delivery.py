"""Invitations and reminders by e-mail or by a WhatsApp/SMS gateway: who gets a message, what it says, the
delivery log, and opting out.

The sending itself is :mod:`survey_app.mail` (SMTP) and :mod:`survey_app.gateway` (HTTP), run by the queued
task :func:`survey_app.worker.deliver_task`, which owns the transactions: an invitation's fresh token is
committed (:func:`prepare_message`) before its message goes out, so a crash between the two leaves a link
nobody has, never a sent link that does not work. Tokens exist only inside the message: not in the database
(a keyed hash), not in the delivery log, not in a log line, not in the console.

The channel of a contact: e-mail when the population list gives an address, else the gateway when it gives a
phone number and a gateway is configured (``docs/delivery.md``).

Reminders go only to drawn people whose invitation is still unspent, at most ``max_reminders`` times, never
to one who opted out or whose last message bounced. A reminder carries a new link (the old token is not kept
anywhere to send again): the old link stops working, and a draft started with it moves to the new one, so no
answer is lost.

Every message carries an opt-out link, ``/o/<token>``: a token derived from the contact under
``TOKEN_HASH_KEY`` (the same in every message to that person, unlike the survey link, and unrelated to it);
the contact keeps only its keyed hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask import current_app
from sqlalchemy import exists, func, select, update

from survey_app.domain.accounts import audit
from survey_app.domain.errors import N_, DomainError
from survey_app.extensions import db
from survey_app.models import Campaign, Draft, Invitation, User
from survey_app.models.frames import (
    MESSAGE_LANGUAGES,
    DeliveryEntry,
    FrameContact,
    MessageTemplates,
    PopulationFrame,
)
from survey_app.models.types import utcnow
from survey_app.tokens import new_token, token_hash

Kind = Literal["invitation", "reminder"]
Channel = Literal["email", "gateway"]

#: What a template may name; a body must name ``{link}`` and ``{optout}``.
PLACEHOLDERS: tuple[str, ...] = ("institution", "organiser", "title", "closes", "link", "optout")
#: The texts of a language, in the order the console shows them.
TEMPLATE_FIELDS: tuple[str, ...] = (
    "invitation_subject",
    "invitation_body",
    "reminder_subject",
    "reminder_body",
)
MAX_SUBJECT, MAX_BODY = 200, 5000

_ID_BODY = (
    "Yth. Bapak/Ibu,\n\n"
    "{opening} {{organiser}} menyelenggarakan {{title}} untuk menilai integritas {{institution}}: "
    "pendapat dan pengalaman Anda membantu memperbaiki layanan dan mencegah korupsi.\n\n"
    "Isi survei melalui tautan pribadi berikut sebelum {{closes}}:\n{{link}}\n\n"
    "Jawaban Anda anonim: jawaban tidak disimpan bersama nama, alamat surel, tautan, atau waktu "
    "pengisian, dan hasil hanya dilaporkan untuk kelompok yang cukup besar. Tautan ini hanya dapat "
    "dipakai sekali; jangan teruskan kepada orang lain.\n\n"
    "Terima kasih,\n{{organiser}}\n\n"
    "Tidak ingin menerima pesan lagi tentang survei ini? {{optout}}\n"
)
_EN_BODY = (
    "Dear Sir or Madam,\n\n"
    "{opening} {{organiser}} runs {{title}} to assess the integrity of {{institution}}: your views and "
    "experience help improve its services and prevent corruption.\n\n"
    "Please answer through your personal link before {{closes}}:\n{{link}}\n\n"
    "Your answers are anonymous: they are not stored with your name, e-mail address, link or the time "
    "you answered, and results are reported only for groups large enough. The link works once; "
    "please do not forward it.\n\n"
    "Thank you,\n{{organiser}}\n\n"
    "No more messages about this survey? {{optout}}\n"
)

#: The built-in texts per language (a campaign without its own uses these).
TEMPLATES: dict[str, dict[str, str]] = {
    "id": {
        "invitation_subject": "Undangan Survei Penilaian Integritas {institution}",
        "invitation_body": _ID_BODY.format(opening="Anda terpilih secara acak untuk mengikuti survei ini."),
        "reminder_subject": "Pengingat: Survei Penilaian Integritas {institution}",
        "reminder_body": _ID_BODY.format(
            opening="Kami mengingatkan bahwa Anda belum menyelesaikan survei ini."
        ),
    },
    "en": {
        "invitation_subject": "Invitation: integrity survey of {institution}",
        "invitation_body": _EN_BODY.format(opening="You have been selected at random for this survey."),
        "reminder_subject": "Reminder: integrity survey of {institution}",
        "reminder_body": _EN_BODY.format(
            opening="This is a reminder that you have not yet finished this survey."
        ),
    },
}
_ADDRESS = re.compile(r"[^\s<>\"']+@[^\s<>\"']+")
#: Eight digits or more, maybe split by spaces, dots, dashes or brackets (an SMTP code like 550 5.1.1 is not).
_PHONE = re.compile(r"\+?\d(?:[\s().-]?\d){7,}")


def scrub(reason: str) -> str:
    """A failure reason fit for the delivery log: e-mail addresses and phone numbers replaced."""
    return _PHONE.sub("<recipient>", _ADDRESS.sub("<recipient>", reason))[:500]


#: Between the Indonesian and the English text of a message in both languages.
BOTH_SEPARATOR = "\n\n----------------------------------------\n\n"


@dataclass(frozen=True)
class Message:
    contact_id: int
    channel: Channel
    #: The e-mail address or the phone number.
    to: str
    subject: str
    body: str
    #: The random reference a gateway's status report names (gateway messages only).
    reference: str | None = None


@dataclass(frozen=True)
class CampaignTemplates:
    language: str
    texts: dict[str, dict[str, str]]
    customised: bool


class TemplateError(DomainError):
    """The templates were not stored: ``problems`` maps ``"<lang>.<field>"`` to its errors."""

    def __init__(self, problems: dict[str, list[DomainError]]) -> None:
        self.problems = problems
        first = "; ".join(f"{where}: {error}" for where, errors in problems.items() for error in errors)
        super().__init__(first)


def template_problems(text: str, field: str) -> list[DomainError]:
    """What is wrong with one template text (``field`` is one of :data:`TEMPLATE_FIELDS`)."""
    problems: list[DomainError] = []
    body = field.endswith("_body")
    if not text.strip():
        return [DomainError(N_("This text is empty."), catalog=True)]
    limit = MAX_BODY if body else MAX_SUBJECT
    if len(text) > limit:
        problems.append(DomainError(N_("At most %(limit)s characters."), limit=limit))
    if not body and ("\n" in text or "\r" in text):
        problems.append(DomainError(N_("A subject is one line."), catalog=True))
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        problems.append(
            DomainError(
                N_("A brace { or } stands alone; write {{ or }} for a brace in the text."), catalog=True
            )
        )
        return problems
    named: set[str] = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            problems.append(
                DomainError(
                    N_("Unknown placeholder {%(name)s}; the placeholders are %(known)s."),
                    name=name,
                    known=", ".join("{" + p + "}" for p in PLACEHOLDERS),
                )
            )
        elif spec or conversion:
            problems.append(
                DomainError(N_("Write the placeholder as {%(name)s}, without a format."), name=name)
            )
        named.add(name)
    if body:
        for needed in ("link", "optout"):
            if needed not in named:
                problems.append(
                    DomainError(
                        N_("The text must contain {%(name)s}: without it the message is of no use.")
                        if needed == "link"
                        else N_("The text must contain {%(name)s}: every message carries an opt-out link."),
                        name=needed,
                    )
                )
    return problems


def campaign_templates(campaign: Campaign) -> CampaignTemplates:
    """The campaign's texts (its own where it stored them, the built-in ones otherwise) and language."""
    stored = db.session.get(MessageTemplates, campaign.id)
    texts = {lang: dict(fields) for lang, fields in TEMPLATES.items()}
    if stored is None:
        return CampaignTemplates("id", texts, False)
    for lang, fields in (stored.texts or {}).items():
        if lang in texts:
            texts[lang].update({k: str(v) for k, v in fields.items() if k in TEMPLATE_FIELDS})
    return CampaignTemplates(stored.language, texts, True)


def save_templates(
    campaign: Campaign, language: str, texts: Mapping[str, Mapping[str, str]], user: User | None
) -> None:
    """Store the campaign's texts and language (flushed, audited), all or nothing: every problem of every
    text is raised at once (:class:`TemplateError`)."""
    if language not in MESSAGE_LANGUAGES:
        raise DomainError(
            N_("The language of the messages is %(language)s; expected one of %(known)s."),
            language=language,
            known=", ".join(MESSAGE_LANGUAGES),
        )
    problems: dict[str, list[DomainError]] = {}
    clean: dict[str, dict[str, str]] = {}
    for lang in TEMPLATES:
        clean[lang] = {}
        for field in TEMPLATE_FIELDS:
            text = str(texts.get(lang, {}).get(field, "")).replace("\r\n", "\n")
            found = template_problems(text, field)
            if found:
                problems[f"{lang}.{field}"] = found
            clean[lang][field] = text
    if problems:
        raise TemplateError(problems)
    stored = db.session.get(MessageTemplates, campaign.id)
    if stored is None:
        stored = MessageTemplates(campaign_id=campaign.id, updated_by="")
        db.session.add(stored)
    stored.language, stored.texts = language, clean
    stored.updated_at, stored.updated_by = utcnow(), user.email if user is not None else "system"
    audit("messages.templates", f"campaign:{campaign.slug}", user=user, language=language)
    db.session.flush()


def reset_templates(campaign: Campaign, user: User | None) -> None:
    """Back to the built-in texts in Indonesian (flushed, audited)."""
    stored = db.session.get(MessageTemplates, campaign.id)
    if stored is not None:
        db.session.delete(stored)
        audit("messages.templates_reset", f"campaign:{campaign.slug}", user=user)
        db.session.flush()


def compose(
    campaign: Campaign,
    kind: Kind,
    link: str,
    optout: str,
    templates: CampaignTemplates | None = None,
) -> tuple[str, str]:
    """Subject and body of an invitation or reminder in the campaign's language (``both``: the
    Indonesian text, then the English one, in one message)."""
    chosen = templates or campaign_templates(campaign)
    values = {
        "institution": campaign.institution.name,
        "organiser": campaign.organiser or campaign.institution.name,
        "title": campaign.title,
        "closes": campaign.closes_on.isoformat(),
        "link": link,
        "optout": optout,
    }
    languages = ("id", "en") if chosen.language == "both" else (chosen.language,)
    subjects, bodies = [], []
    for lang in languages:
        t = chosen.texts[lang]
        subjects.append(t[f"{kind}_subject"].format(**values))
        bodies.append(t[f"{kind}_body"].format(**values))
    return " / ".join(subjects), BOTH_SEPARATOR.join(bodies)


def sample_message(campaign: Campaign, kind: Kind, templates: CampaignTemplates) -> tuple[str, str]:
    """What a message looks like, with example links in place of real ones (the console's preview)."""
    return compose(
        campaign, kind, "https://survei.example/r/CONTOH-TAUTAN", "https://survei.example/o/CONTOH", templates
    )


def _channel_filter(channels: tuple[Channel, ...]) -> Any:
    email = FrameContact.email != ""
    phone = (FrameContact.email == "") & (FrameContact.phone != "")
    if channels == ("email",):
        return email
    if channels == ("gateway",):
        return phone
    return email | phone


def _bounced() -> Any:
    return exists().where(DeliveryEntry.contact_id == FrameContact.id, DeliveryEntry.status == "bounced")


def pending_contacts(
    campaign: Campaign,
    kind: Kind,
    max_reminders: int = 2,
    channels: tuple[Channel, ...] = ("email", "gateway"),
    sent_before: datetime | None = None,
) -> list[int]:
    """Drawn contacts reachable on one of ``channels`` due a message: never sent (``invitation``), or sent
    and still unfinished with fewer than ``max_reminders`` reminders (``reminder``), whose last message went
    out at or before ``sent_before`` where given (scheduled reminders); never one who opted out or whose
    message bounced."""
    query = (
        select(FrameContact.id)
        .join(PopulationFrame, PopulationFrame.id == FrameContact.frame_id)
        .join(Invitation, Invitation.id == FrameContact.invitation_id)
        .where(
            PopulationFrame.campaign_id == campaign.id,
            _channel_filter(channels),
            FrameContact.opted_out_at.is_(None),
            Invitation.state == "issued",
            ~_bounced(),
        )
        .order_by(FrameContact.id)
    )
    if kind == "invitation":
        query = query.where(FrameContact.messages_sent == 0)
    else:
        query = query.where(FrameContact.messages_sent >= 1, FrameContact.messages_sent < 1 + max_reminders)
        if sent_before is not None:
            recent = exists().where(
                DeliveryEntry.contact_id == FrameContact.id,
                DeliveryEntry.status == "sent",
                DeliveryEntry.at > sent_before,
            )
            query = query.where(~recent)
    return list(db.session.scalars(query))


def optout_token(contact: FrameContact) -> str:
    """The contact's opt-out token: derived under ``TOKEN_HASH_KEY``, so every message to the person carries
    the same one, and nothing but its keyed hash is stored."""
    key = str(current_app.config["TOKEN_HASH_KEY"]).encode()
    digest = hmac.new(key, f"optout:{contact.frame_id}:{contact.id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def assign_optout_hashes(contact_ids: list[int]) -> None:
    """Store the opt-out token's hash of each contact that has none yet (flushed): one batch before a
    sending, instead of one more statement per message."""
    for start in range(0, len(contact_ids), 1000):
        chunk = contact_ids[start : start + 1000]
        for contact in db.session.scalars(
            select(FrameContact).where(FrameContact.id.in_(chunk), FrameContact.optout_hash.is_(None))
        ):
            contact.optout_hash = token_hash(optout_token(contact))
        db.session.flush()


def prepare_message(
    campaign: Campaign,
    contact_id: int,
    kind: Kind,
    link_for: Callable[[str], str],
    optout_for: Callable[[str], str],
    channels: tuple[Channel, ...] = ("email", "gateway"),
    templates: CampaignTemplates | None = None,
) -> Message | None:
    """Give the contact's invitation a fresh token (flushed; a draft moves with it) and the message
    carrying it (``link_for``/``optout_for`` make the survey and opt-out tokens links); ``None`` when the
    contact is no longer due one (spent or opted out meanwhile, deleted, or not reachable on ``channels``)."""
    contact = db.session.get(FrameContact, contact_id)
    if contact is None or contact.invitation_id is None or contact.opted_out_at is not None:
        return None
    channel: Channel | None = "email" if contact.email else "gateway" if contact.phone else None
    if channel is None or channel not in channels:
        return None
    invitation = db.session.get(Invitation, contact.invitation_id)
    if invitation is None or invitation.state != "issued":
        return None
    token = new_token()
    new_hash = token_hash(token)
    db.session.execute(update(Draft).where(Draft.key == invitation.token_hash).values(key=new_hash))
    invitation.token_hash = new_hash
    optout = optout_token(contact)
    if contact.optout_hash is None:  # normally set beforehand, in bulk (:func:`assign_optout_hashes`)
        contact.optout_hash = token_hash(optout)
    db.session.flush()
    subject, body = compose(campaign, kind, link_for(token), optout_for(optout), templates)
    to = contact.email if channel == "email" else contact.phone
    reference = secrets.token_hex(16) if channel == "gateway" else None
    return Message(contact.id, channel, to, subject, body, reference)


def record_delivery(
    campaign: Campaign,
    contact_id: int,
    kind: Kind,
    sent: bool,
    attempts: int,
    reason: str,
    channel: Channel = "email",
    reference: str | None = None,
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
            channel=channel,
            reference=reference if sent else None,
        )
    )
    if sent:
        contact = db.session.get(FrameContact, contact_id)
        if contact is not None:
            contact.messages_sent += 1
    db.session.flush()


#: What a gateway's status report may say (``docs/delivery.md``); the ones after ``delivered`` are bounces.
REPORTED_STATUSES: tuple[str, ...] = ("delivered", "read", "failed", "bounced", "undeliverable")


def record_status(reference: str, status: str, reason: str = "") -> DeliveryEntry | None:
    """A gateway's later report on a sent message (flushed): a failure marks its entry ``bounced`` with the
    reason (and the person gets no further message); ``delivered``/``read`` change nothing. ``None`` when
    no entry has that reference."""
    if status not in REPORTED_STATUSES:
        raise DomainError(
            N_("The status %(status)s is not known; expected one of %(known)s."),
            status=status,
            known=", ".join(REPORTED_STATUSES),
        )
    entry = db.session.scalar(select(DeliveryEntry).where(DeliveryEntry.reference == reference))
    if entry is None:
        return None
    if status not in ("delivered", "read") and entry.status == "sent":
        entry.status, entry.reason = "bounced", scrub(reason or status)
        db.session.flush()
    return entry


def optout_contact(token: str) -> tuple[FrameContact, Campaign] | None:
    """The contact an opt-out token belongs to and its campaign, or ``None`` (unknown, or deleted)."""
    if not token or len(token) > 64:
        return None
    contact = db.session.scalar(select(FrameContact).where(FrameContact.optout_hash == token_hash(token)))
    if contact is None:
        return None
    campaign = db.session.get(Campaign, contact.frame.campaign_id)
    return (contact, campaign) if campaign is not None else None


def opt_out(token: str) -> Campaign | None:
    """Mark the token's contact opted out (flushed) with an audit entry naming the campaign only (no
    address, no contact); again for one already out changes nothing. ``None`` for an unknown token."""
    found = optout_contact(token)
    if found is None:
        return None
    contact, campaign = found
    if contact.opted_out_at is None:
        contact.opted_out_at = utcnow()
        audit("contacts.opt_out", f"campaign:{campaign.slug}", user=None)
        db.session.flush()
    return campaign


def delivery_counts(campaign: Campaign) -> dict[tuple[str, str], int]:
    """Messages per (kind, status) of the campaign, for the console."""
    rows = db.session.execute(
        select(DeliveryEntry.kind, DeliveryEntry.status, func.count())
        .where(DeliveryEntry.campaign_id == campaign.id)
        .group_by(DeliveryEntry.kind, DeliveryEntry.status)
    )
    return {(k, s): int(n) for k, s, n in rows}


def opted_out_count(campaign: Campaign) -> int:
    """Contacts of the campaign who asked for no more messages."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(FrameContact)
            .join(PopulationFrame, PopulationFrame.id == FrameContact.frame_id)
            .where(PopulationFrame.campaign_id == campaign.id, FrameContact.opted_out_at.is_not(None))
        )
        or 0
    )
