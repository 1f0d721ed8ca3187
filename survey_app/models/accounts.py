"""Console accounts (administrators, analysts, viewers), their institution scope, and the audit log.

Respondents never have accounts: nothing here refers to a response, an invitation or a token.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base
from survey_app.models.institutions import Institution
from survey_app.models.types import JSONDocument, UTCDateTime, in_values, utcnow

#: ``admin`` may do everything; ``analyst`` reads results, data quality and exports; ``viewer`` reads
#: published results only. Ordered from most to least privileged.
ROLES: tuple[str, ...] = ("admin", "analyst", "viewer")


user_institutions = Table(
    "user_institutions",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("institution_id", ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(in_values("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so logins are case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(255), unique=True)
    #: argon2id hash in PHC format (``$argon2id$v=19$...``).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    #: An admin with ``all_institutions`` sees every institution, including ones created later.
    all_institutions: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: May download row-level responses (given explicitly to an account, audit-logged per download).
    data_steward: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Part of the session id: raised on logout, so a copied session cookie stops working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Part of the login-throttle keys (survey_app.throttle): raised by "unlock".
    lockout_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institutions: Mapped[list[Institution]] = relationship(
        secondary=user_institutions, order_by="Institution.code"
    )

    # Flask-Login's protocol (its UserMixin would also do; these four are all it needs).
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The password change time is part of the session id, so changing a password ends every other
        # session of the account (Flask-Login reloads the user from this id on each request).
        # Microseconds: a change within the same second as the previous one must still count.
        # The generation ends sessions on logout: the cookie of a logged-out session names an old one.
        changed = int(self.password_changed_at.timestamp() * 1_000_000)
        return f"{self.id}:{changed}:{self.session_generation}"


class AuditEntry(Base):
    """Who did what, when, to which object. Never respondent data: ``details`` holds ids and settings."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Kept as text as well as the id, so the entry still says who after the account is deleted.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    user_email: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


class ApiToken(Base):
    """A read-only API token of a console account: it acts with the account's role and institution scope.

    Like invitation tokens, only a keyed hash is stored (see :mod:`survey_app.tokens`); the token itself is
    shown once, when it is created.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A date, not a time: enough to see stale tokens without a trail of every call.
    last_used_on: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship()
