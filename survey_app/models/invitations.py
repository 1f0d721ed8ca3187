"""Invitations: a keyed hash of the token (never the token), the design attributes, and a state.

There is deliberately no time of spending and no link to a response: see ``responses.py``.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base
from survey_app.models.campaigns import Campaign
from survey_app.models.institutions import Unit
from survey_app.models.types import GROUPS, in_values

STATES: tuple[str, ...] = ("issued", "spent", "revoked")


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(in_values("state", STATES), name="state"),
        CheckConstraint(in_values("respondent_group", GROUPS), name="respondent_group"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: HMAC-SHA256 of the token with the server's ``TOKEN_HASH_KEY``, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    respondent_group: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    stratum: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    state: Mapped[str] = mapped_column(String(20), default="issued")

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
