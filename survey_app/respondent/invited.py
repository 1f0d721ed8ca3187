"""The invitation entry: ``/r/<token>`` and its pages ``/r/<token>/p/<page>``.

Status codes: unknown token 404; spent or revoked invitation 410; campaign closed (status ``closed`` or past
its close date) 410; campaign not open yet (status ``draft`` or before its open date) 403. Each with a page
that says so in the respondent's language.
"""

from __future__ import annotations

import itertools

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from survey_app.extensions import limiter
from survey_app.respondent import handlers as flow
from survey_app.respondent.state import CampaignTerms, DraftState
from survey_app.respondent.store import INVITATION_COLUMNS, invitation_entry, store_invited
from survey_app.tokens import looks_like_token, token_hash

bp = Blueprint("respondent", __name__)


# Per client address: polling links to watch their state, or guessing tokens, is throttled; a respondent
# needs a few requests a minute. Offices behind one address share it, so the default is generous.
limiter.limit(lambda: str(current_app.config["INVITATION_RATE_LIMIT"]))(bp)


def _entry(token: str) -> flow.Entry | ResponseReturnValue:
    if not looks_like_token(token):
        abort(404)
    hashed = token_hash(token)
    row = invitation_entry(hashed)
    if row is None:
        abort(404)
    values = iter(row)
    state, group, unit_id, stratum, weight = itertools.islice(values, len(INVITATION_COLUMNS))
    campaign = CampaignTerms.take(values)
    version_id, content_hash = itertools.islice(values, 2)
    draft = DraftState.take(values)
    # A spent link looks like any other until the respondent acts (its GET pages are the consent page):
    # whoever issued the links must not learn from them who has answered.
    if state == "revoked":
        return flow.status_page("revoked", 410)
    closed = flow.campaign_closed(campaign)
    if closed is not None:
        return closed
    if not campaign.allow_invitation:
        return flow.status_page("closed", 410, campaign)
    return flow.Entry(
        campaign=campaign,
        group=group,
        version_id=version_id,
        content_hash=content_hash,
        draft_key=hashed,
        unit_id=unit_id,
        stratum=stratum,
        weight=weight,
        open_access=False,
        page_url=lambda key: url_for("respondent.page", token=token, key=key),
        start_url=url_for("respondent.start", token=token),
        resume_url=url_for("respondent.resume", token=token),
        store=lambda response: store_invited(hashed, response),
        already_used=lambda: flow.status_page("used", 410),
        loaded_draft=draft,
        spent=state == "spent",
    )


@bp.route("/r/<token>", methods=["GET", "POST"])
def start(token: str) -> ResponseReturnValue:
    entry = _entry(token)
    if not isinstance(entry, flow.Entry):
        return entry
    if request.method == "POST":
        return flow.start(entry)
    # The same page for an unused, a started and a spent link (a started one resumes after consent).
    return flow.intro(entry)


@bp.route("/r/<token>/resume", methods=["POST"])
@limiter.limit(lambda: str(current_app.config["RESUME_RATE_LIMIT"]))
def resume(token: str) -> ResponseReturnValue:
    entry = _entry(token)
    if not isinstance(entry, flow.Entry):
        return entry
    return flow.resume_with_code(entry)


@bp.route("/r/<token>/p/<key>", methods=["GET", "POST"])
def page(token: str, key: str) -> ResponseReturnValue:
    entry = _entry(token)
    if not isinstance(entry, flow.Entry):
        return entry
    draft = entry.draft()
    if entry.spent or draft is None or not flow.browser_holds(entry, draft):
        # The link alone opens no answers: back to the consent page, alike for every state.
        return redirect(entry.start_url, 303)
    if request.method == "POST":
        return flow.save_page(entry, draft, key)
    return flow.show_page(entry, draft, key)


@bp.route("/thanks")
def thanks() -> ResponseReturnValue:
    return render_template("respondent/thanks.html")
