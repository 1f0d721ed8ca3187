"""Dashboard of the campaigns in the user's scope, and a campaign's monitoring page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from survey_app.admin.paging import page_of, search_text
from survey_app.dates import today
from survey_app.domain import campaigns as campaign_rules
from survey_app.domain.accounts import campaign_for, campaigns_query
from survey_app.domain.monitoring import sample_monitoring
from survey_app.extensions import db
from survey_app.login import requires_role
from survey_app.models import GROUPS, Campaign, Invitation, Response, Unit

bp = Blueprint("admin_campaigns", __name__, url_prefix="/admin")
CAMPAIGNS_PER_PAGE = 25


@dataclass
class MonitoringRow:
    unit_code: str
    unit_name: str
    group: str
    issued: int = 0
    spent: int = 0
    revoked: int = 0
    open_responses: int = 0
    invited_responses: int = 0
    #: Open-access answers through the institution's own link (no unit): a row of their own.
    whole_institution: bool = False

    @property
    def rate(self) -> float | None:
        """Spent invitations over the invitations that can still be or were used (revoked ones left out)."""
        base = self.issued + self.spent
        return self.spent / base if base else None


def monitoring(campaign: Campaign) -> list[MonitoringRow]:
    """Invitations by state and responses (invited / open access) per unit × group, from two GROUP BYs.

    Every unit of the institution is listed for every group of the campaign from the start (a unit without
    invitations or answers is what the person monitoring must see), then the institution-wide open link's
    answers, which have no unit. These are counts of invitations and responses, not results, so small cells
    are shown as they are.
    """
    units = {
        u.id: u
        for u in db.session.scalars(
            select(Unit).where(Unit.institution_id == campaign.institution_id).order_by(Unit.code)
        )
    }
    groups = sorted({q.respondent_group for q in campaign.questionnaires}, key=GROUPS.index)
    rows: dict[tuple[int | None, str], MonitoringRow] = {
        (unit.id, group): MonitoringRow(unit.code, unit.name, group)
        for unit in units.values()
        for group in groups
    }

    def row(unit_id: int | None, group: str) -> MonitoringRow:
        if (unit_id, group) not in rows:
            unit = units.get(unit_id) if unit_id is not None else None
            rows[(unit_id, group)] = MonitoringRow(
                unit.code if unit else "", unit.name if unit else "", group, whole_institution=unit is None
            )
        return rows[(unit_id, group)]

    for unit_id, group, state, count in db.session.execute(
        select(Invitation.unit_id, Invitation.respondent_group, Invitation.state, func.count())
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Invitation.unit_id, Invitation.respondent_group, Invitation.state)
    ):
        setattr(row(unit_id, group), state, int(count))
    for unit_id, group, open_count, invited_count in db.session.execute(
        select(
            Response.unit_id,
            Response.respondent_group,
            func.sum(case((Response.open_access, 1), else_=0)),
            func.sum(case((Response.open_access, 0), else_=1)),
        )
        .where(Response.campaign_id == campaign.id)
        .group_by(Response.unit_id, Response.respondent_group)
    ):
        target = row(unit_id, group)
        target.open_responses = int(open_count or 0)
        target.invited_responses = int(invited_count or 0)
    order = {g: n for n, g in enumerate(GROUPS)}
    return sorted(rows.values(), key=lambda r: (r.whole_institution, r.unit_code, order.get(r.group, 99)))


@bp.route("/")
@requires_role("viewer")
def dashboard() -> ResponseReturnValue:
    search = search_text()
    archived = request.args.get("archived") == "1"
    pagination = page_of(campaigns_query(current_user, search=search, archived=archived), CAMPAIGNS_PER_PAGE)
    campaigns = list(pagination.items)
    counts = dict(
        db.session.execute(
            select(Response.campaign_id, func.count())
            .where(Response.campaign_id.in_([c.id for c in campaigns]))
            .group_by(Response.campaign_id)
        ).all()
    )
    return render_template(
        "admin/dashboard.html",
        campaigns=campaigns,
        counts=counts,
        pagination=pagination,
        search=search,
        archived=archived,
    )


def _monitoring_context(campaign: Campaign) -> dict[str, object]:
    rows = monitoring(campaign)
    totals = MonitoringRow("", "", "")
    for r in rows:
        for name in ("issued", "spent", "revoked", "open_responses", "invited_responses"):
            setattr(totals, name, getattr(totals, name) + getattr(r, name))
    zone = ZoneInfo(current_app.config["SURVEY_TIMEZONE"])
    return {
        "rows": rows,
        "totals": totals,
        "sample_rows": sample_monitoring(campaign, today()),
        "updated": datetime.now(zone).strftime("%H:%M:%S"),
    }


@bp.route("/campaigns/<slug>")
@requires_role("analyst")
def campaign(slug: str) -> ResponseReturnValue:
    found = campaign_for(current_user, slug)
    return render_template(
        "admin/campaign.html",
        campaign=found,
        state=campaign_state(found, today()),
        **_monitoring_context(found),
    )


@bp.route("/campaigns/<slug>/monitoring")
@requires_role("analyst")
def monitoring_table(slug: str) -> ResponseReturnValue:
    """The counts table alone, for the campaign page's refresh every 30 s (static/monitoring.js)."""
    found = campaign_for(current_user, slug)
    return render_template("admin/partials/monitoring.html", campaign=found, **_monitoring_context(found))


def campaign_state(campaign: Campaign, day: date) -> str:
    """What the campaign page says about taking answers."""
    shown = campaign_rules.state(campaign, day)
    if shown is campaign_rules.CampaignState.DRAFT:
        return str(_("draft: not yet taking answers"))
    if shown is campaign_rules.CampaignState.CLOSED:
        return str(_("closed"))
    if shown is campaign_rules.CampaignState.NOT_YET_OPEN:
        return str(_("open from %(day)s", day=campaign.opens_on.isoformat()))
    return str(_("open: taking answers"))
