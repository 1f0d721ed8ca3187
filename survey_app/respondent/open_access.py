"""The open-access entry: anyone with the link may answer, once per browser.

Protection against repeated answers is a *guard, not a guarantee*: the session cookie (signed, so it cannot
be forged) records the campaigns this browser submitted to, and the rate limiter caps how many questionnaires
one client address may start per minute. Clearing cookies or switching browsers gets past the guard; that is
why these responses are marked ``open_access`` and carry weight 1, so analysts can treat them separately.

The draft is keyed by a keyed hash of a random key kept in the session cookie; nothing about the client
(address, user agent) is stored.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from survey_app.extensions import db, limiter
from survey_app.models import QuestionnaireVersion, Unit
from survey_app.respondent import handlers as flow
from survey_app.respondent.state import CampaignTerms, DraftState
from survey_app.respondent.store import load_draft, open_entry, store_open
from survey_app.respondent.versions import loaded_version
from survey_app.tokens import token_hash

bp = Blueprint("open_access", __name__, url_prefix="/c")

DRAFTS = "open_drafts"
SUBMITTED = "submitted_campaigns"


def _start_limit() -> str:
    return str(current_app.config["OPEN_ACCESS_RATE_LIMIT"])


def _slot(campaign: CampaignTerms, group: str) -> str:
    return f"{campaign.id}/{group}"


def _draft_key(raw: str) -> str:
    return token_hash("open:" + raw)


def _mark_submitted(campaign: CampaignTerms, group: str) -> None:
    done = [c for c in session.get(SUBMITTED, []) if c != campaign.id]
    session[SUBMITTED] = [*done, campaign.id][-50:]
    drafts = dict(session.get(DRAFTS, {}))
    drafts.pop(_slot(campaign, group), None)
    session[DRAFTS] = drafts
    session.permanent = True


def _declares_open(version_id: int, content_hash: str) -> bool:
    """Whether the group's questionnaire declares open access (parsed once per process, as the pages do)."""

    def canonical_json() -> str:
        return db.session.scalars(
            select(QuestionnaireVersion.canonical_json).where(QuestionnaireVersion.id == version_id)
        ).one()

    return loaded_version(content_hash, canonical_json).questionnaire.allows_open_access


def _entry(
    slug: str, group: str, unit_code: str | None, *, create_key: bool = False
) -> flow.Entry | ResponseReturnValue:
    row = open_entry(slug, group)
    if row is None:
        abort(404)
    values = iter(row)
    campaign = CampaignTerms.take(values)
    version_id, content_hash = itertools.islice(values, 2)
    if not campaign.allow_open or not _declares_open(version_id, content_hash):
        # Only groups whose questionnaire declares open access (by default the external group): an open link
        # to the employees' questionnaire would let anyone answer as an employee.
        abort(404)
    closed = flow.campaign_closed(campaign)
    if closed is not None:
        return closed
    if campaign.id in session.get(SUBMITTED, []):
        return flow.status_page("open_done", 403, campaign)

    slot = _slot(campaign, group)
    raw = session.get(DRAFTS, {}).get(slot)
    if raw is None and create_key:
        raw = secrets.token_urlsafe(24)
        session[DRAFTS] = {**session.get(DRAFTS, {}), slot: raw}
    draft_key = _draft_key(raw) if raw else ""

    unit_id: int | None = None
    # The draft read here for its unit is the one the page handlers use: not read twice.
    draft: DraftState | object | None = flow.UNREAD
    if unit_code:
        unit_id = db.session.scalar(
            select(Unit.id).where(Unit.institution_id == campaign.institution_id, Unit.code == unit_code)
        )
        if unit_id is None:
            abort(404)
    elif draft_key:
        draft = load_draft(draft_key)
        unit_id = draft.unit_id if isinstance(draft, DraftState) else None

    start_kwargs: dict[str, Any] = {"slug": slug, "group": group}

    def store(response: dict[str, Any]) -> int | None:
        held = store_open(draft_key, response)
        if held is not None:
            _mark_submitted(campaign, group)
        return held

    return flow.Entry(
        campaign=campaign,
        group=group,
        version_id=version_id,
        content_hash=content_hash,
        draft_key=draft_key,
        unit_id=unit_id,
        stratum=None,
        weight=1.0,
        open_access=True,
        page_url=lambda key: url_for("open_access.page", key=key, **start_kwargs),
        start_url=(
            url_for("open_access.start_unit", unit_code=unit_code, **start_kwargs)
            if unit_code
            else url_for("open_access.start", **start_kwargs)
        ),
        store=store,
        already_used=lambda: redirect(url_for("respondent.thanks"), 303),
        loaded_draft=draft,
    )


@bp.route("/<slug>/<group>", methods=["GET", "POST"], endpoint="start")
@bp.route("/<slug>/<group>/<unit_code>", methods=["GET", "POST"], endpoint="start_unit")
@limiter.limit(_start_limit, methods=["POST"])
def start(slug: str, group: str, unit_code: str | None = None) -> ResponseReturnValue:
    unit_code = unit_code or request.args.get("unit") or None
    entry = _entry(slug, group, unit_code, create_key=request.method == "POST")
    if not isinstance(entry, flow.Entry):
        return entry
    if request.method == "POST":
        return flow.start(entry)
    draft = entry.draft() if entry.draft_key else None
    if draft is not None:
        return flow.resume(entry, draft)
    return flow.intro(entry)


@bp.route("/<slug>/<group>/p/<key>", methods=["GET", "POST"])
@limiter.limit("120/minute", methods=["POST"])
def page(slug: str, group: str, key: str) -> ResponseReturnValue:
    entry = _entry(slug, group, None)
    if not isinstance(entry, flow.Entry):
        return entry
    draft = entry.draft() if entry.draft_key else None
    if draft is None:
        return redirect(url_for("open_access.start", slug=slug, group=group), 303)
    if request.method == "POST":
        return flow.save_page(entry, draft, key)
    return flow.show_page(entry, draft, key)
