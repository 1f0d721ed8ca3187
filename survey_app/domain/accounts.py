"""Console accounts, without the web: password hashing, login throttling, roles, institution scope, audit.

Throttling has two layers, both in the rate limiter's store: Flask-Limiter limits login POSTs per client
address (``LOGIN_RATE_LIMIT``), and wrong passwords are counted per account and address
(:mod:`survey_app.throttle`), so nobody can lock an account's owner out from elsewhere. :func:`authenticate`
takes the lock test as an argument and always verifies one password hash, so neither an unknown address nor
a locked-out one answers faster.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Select, or_, select

from survey_app.domain.errors import N_, DomainError, NotFoundError
from survey_app.domain.search import contains
from survey_app.extensions import db
from survey_app.models import ROLES, AuditEntry, Campaign, Institution, User
from survey_app.models.types import utcnow

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(N_("the password must have at least %(n)s characters"), n=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 255:
        raise DomainError(N_("%(email)s is not an e-mail address"), email=repr(email))
    return email


def create_user(email: str, password: str, role: str, institution_codes: list[str] | None = None) -> User:
    """A new active account; an admin without institutions sees all of them."""
    if role not in ROLES:
        raise DomainError(
            N_("unknown role %(role)s; expected one of %(roles)s"), role=repr(role), roles=", ".join(ROLES)
        )
    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(N_("an account for %(email)s exists already"), email=email)
    institutions = []
    for code in institution_codes or []:
        institution = db.session.scalar(select(Institution).where(Institution.code == code))
        if institution is None:
            raise DomainError(N_("no institution with code %(code)s"), code=repr(code))
        institutions.append(institution)
    if not institutions and role != "admin":
        raise DomainError(N_("a %(role)s needs at least one institution (--institution CODE)"), role=role)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        all_institutions=not institutions,
        institutions=institutions,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_user(email: str) -> User:
    """The account with ``email`` (any case), for the commands."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise DomainError(N_("no account %(email)s"), email=repr(email))
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


@dataclass(frozen=True)
class LoginAttempt:
    """What :func:`authenticate` found: ``user`` when the login succeeds; ``account`` whenever the address
    names one (so the caller can count a wrong password); ``locked`` when the lock test refused it."""

    user: User | None
    account: User | None = None
    wrong_password: bool = False
    locked: bool = False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("timing-equaliser")


def authenticate(email: str, password: str, *, locked_out: Callable[[User], bool]) -> LoginAttempt:
    """Check a console login. Exactly one Argon2 verification whatever the outcome (unknown address, locked
    out, wrong password, deactivated), so the response time reveals none of them."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return LoginAttempt(None)
    locked = locked_out(user)
    right = check_password(user, password)
    if locked:
        return LoginAttempt(None, user, locked=True)
    if not right:
        return LoginAttempt(None, user, wrong_password=True)
    if not user.active:
        return LoginAttempt(None, user)
    return LoginAttempt(user, user)


def audit(action: str, target: str = "", *, user: User | None, **details: Any) -> AuditEntry:
    """Record an action of ``user`` (``None``: the system) in the audit log, committed with the caller's
    transaction."""
    actor = user
    entry = AuditEntry(
        user_id=actor.id if actor is not None else None,
        user_email=actor.email if actor is not None else "system",
        action=action,
        target=target,
        details=details,
        at=utcnow(),
    )
    db.session.add(entry)
    return entry


def scope_institution_ids(user: User) -> list[int] | None:
    """The institutions ``user`` may see, or ``None`` for all of them."""
    if user.all_institutions:
        return None
    return [i.id for i in user.institutions]


def institutions_in_scope(user: User) -> list[Institution]:
    query = select(Institution).order_by(Institution.code)
    ids = scope_institution_ids(user)
    if ids is not None:
        query = query.where(Institution.id.in_(ids))
    return list(db.session.scalars(query))


def campaigns_in_scope(user: User) -> list[Campaign]:
    return list(db.session.scalars(campaigns_query(user, archived=None)))


def campaigns_query(user: User, *, search: str = "", archived: bool | None = False) -> Select[Campaign]:
    """The campaigns ``user`` may see, newest first; ``search`` in the title, short name, period or
    institution name; ``archived``: only archived ones (``True``), only current ones (``False``), or all."""
    query = select(Campaign).join(Institution).order_by(Campaign.opens_on.desc(), Campaign.slug)
    ids = scope_institution_ids(user)
    if ids is not None:
        query = query.where(Campaign.institution_id.in_(ids))
    if archived is not None:
        query = query.where(Campaign.archived_at.is_not(None) if archived else Campaign.archived_at.is_(None))
    if search.strip():
        query = query.where(
            contains(search, Campaign.title, Campaign.slug, Campaign.period, Institution.name)
        )
    return query


def campaign_for(user: User, slug: str) -> Campaign:
    """The campaign ``slug`` if ``user`` may see it; :class:`NotFoundError` otherwise (out of scope looks like
    absent)."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    ids = scope_institution_ids(user)
    if campaign is None or (ids is not None and campaign.institution_id not in ids):
        raise NotFoundError(f"no campaign {slug!r}")
    return campaign


def generate_password() -> str:
    """A random password for a new account or a reset, shown once: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def may_manage(admin: User, user: User) -> bool:
    """Whether ``admin`` may manage ``user``: admins of all institutions manage everyone; a scoped admin only
    accounts scoped to some of their own institutions (never an all-institutions account)."""
    if admin.all_institutions:
        return True
    if user.all_institutions or not user.institutions:
        return False
    own = {i.id for i in admin.institutions}
    return {i.id for i in user.institutions} <= own


def admins_left_without(user: User) -> tuple[int, int]:
    """Active admins other than ``user``: (all of them, those of all institutions).

    Used to refuse a change that would leave the console without an administrator (or without one who can
    create institutions and all-institutions accounts).
    """
    others = select(User).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    admins = list(db.session.scalars(others))
    return len(admins), sum(1 for a in admins if a.all_institutions)


#: Roles that may hold the data-steward right: a viewer reads published results only.
STEWARD_ROLES: tuple[str, ...] = ("admin", "analyst")


def may_read_rows(user: User) -> bool:
    """Whether ``user`` may download row-level responses: the data-steward right, given explicitly to an
    active admin or analyst account (:func:`set_data_steward`). Which rows, and when, is
    :func:`survey_app.domain.exports.export_tables`."""
    return bool(user.data_steward) and user.active and user.role in STEWARD_ROLES


def set_data_steward(user: User, steward: bool, *, by: User | None) -> bool:
    """Give (``steward``) or take away the data-steward right of ``user``, audit-logged; ``by`` is the acting
    account (``None``: the command line). Whether ``by`` may manage ``user`` is the caller's check
    (:func:`may_manage`). Returns whether anything changed."""
    if steward and user.role not in STEWARD_ROLES:
        raise DomainError(
            N_("a %(role)s cannot be a data steward; make %(email)s an analyst or admin first"),
            role=user.role,
            email=user.email,
        )
    if bool(user.data_steward) == steward:
        return False
    user.data_steward = steward
    audit(
        "user.steward_grant" if steward else "user.steward_revoke",
        f"user:{user.id}",
        email=user.email,
        user=by,
    )
    return True


def audit_query(admin: User, *, search: str = "") -> Select[AuditEntry]:
    """The audit log as ``admin`` may read it, newest first; ``search`` (case-insensitive) in the account,
    the action or the target.

    An admin of all institutions reads every entry. A scoped admin reads the entries about their
    institutions: campaigns of them (``campaign:<slug>``), the institutions themselves
    (``institution:<code>``), accounts they may manage (``user:<id>``, :func:`may_manage`), and whatever they
    did themselves. Entries about nothing in an institution (questionnaire loads, the command line's system
    events, other admins' logins and API tokens) are not theirs to read: they could tell another
    institution's activity from them.
    """
    query = select(AuditEntry)
    if not admin.all_institutions:
        ids = [i.id for i in admin.institutions]
        slugs = db.session.scalars(select(Campaign.slug).where(Campaign.institution_id.in_(ids)))
        codes = db.session.scalars(select(Institution.code).where(Institution.id.in_(ids)))
        users = [u for u in db.session.scalars(select(User)) if may_manage(admin, u)]
        targets = [
            *(f"campaign:{slug}" for slug in slugs),
            *(f"institution:{code}" for code in codes),
            *(f"user:{u.id}" for u in users),
        ]
        query = query.where(or_(AuditEntry.target.in_(targets), AuditEntry.user_id == admin.id))
    if search.strip():
        query = query.where(contains(search, AuditEntry.user_email, AuditEntry.action, AuditEntry.target))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def unlock(user: User) -> None:
    """Forget every address's wrong passwords for ``user`` (a new generation of throttle keys)."""
    user.lockout_generation += 1


def end_sessions(user: User) -> None:
    """End every console session of ``user`` (their session id changes): logout and deactivation."""
    user.session_generation += 1
