"""API tokens of console accounts: issuing one (its secret exists only in the answer), its state, who may see
and revoke whose tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.domain.accounts import may_manage
from survey_app.extensions import db
from survey_app.models import ApiToken, User
from survey_app.models.types import utcnow
from survey_app.tokens import token_hash

#: Longer than invitation tokens: an API token reads results for as long as it lives.
TOKEN_BYTES = 32


def new_api_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired`` (the API's check and the console's token page)."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def expiry(day: date | None) -> datetime | None:
    """When a token "valid until ``day``" stops working: the end of that whole day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time.min, UTC) if day is not None else None


def may_see_tokens_of(user: User, owner: User) -> bool:
    """Every account manages its own tokens; admins also those of the accounts they may manage
    (:func:`survey_app.domain.accounts.may_manage`, the same rule as the account pages)."""
    return owner.id == user.id or (user.role == "admin" and may_manage(user, owner))


def visible_tokens(user: User) -> list[ApiToken]:
    """The tokens ``user`` may see, newest first."""
    query = (
        select(ApiToken)
        .options(selectinload(ApiToken.user).selectinload(User.institutions))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if user.role != "admin":
        query = query.where(ApiToken.user_id == user.id)
    return [t for t in db.session.scalars(query) if may_see_tokens_of(user, t.user)]


def create_token(user: User, name: str, valid_until: date | None) -> tuple[ApiToken, str]:
    """A new token of ``user`` and its secret (stored only as a keyed hash: shown once, never logged)."""
    secret = new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        created_at=utcnow(),
        expires_at=expiry(valid_until),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret
