"""The opt-out link every message carries: ``/o/<token>`` asks, a POST (with the CSRF token) confirms.

The token is the contact's opt-out token (:func:`survey_app.domain.delivery.optout_token`), not the survey
token: opting out neither spends nor reveals the invitation. Unknown tokens (and contacts deleted with
their campaign's retention) answer 404 with a page that says so. Logs show ``/o/[redacted]``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from survey_app.domain.delivery import opt_out, optout_contact
from survey_app.extensions import db, limiter

bp = Blueprint("optout", __name__)

# The same budget as invitation links: guessing opt-out tokens is throttled per client address.
limiter.limit(lambda: str(current_app.config["INVITATION_RATE_LIMIT"]))(bp)


@bp.route("/o/<token>", methods=["GET"])
def ask(token: str) -> ResponseReturnValue:
    found = optout_contact(token)
    if found is None:
        return render_template("respondent/optout.html", state="unknown", campaign=None), 404
    contact, campaign = found
    state = "done" if contact.opted_out_at is not None else "ask"
    return render_template("respondent/optout.html", state=state, campaign=campaign)


@bp.route("/o/<token>", methods=["POST"])
def confirm(token: str) -> ResponseReturnValue:
    campaign = opt_out(token)
    if campaign is None:
        db.session.rollback()
        return render_template("respondent/optout.html", state="unknown", campaign=None), 404
    db.session.commit()
    return render_template("respondent/optout.html", state="done", campaign=campaign)
