"""``POST /api/gateway/status``: a WhatsApp/SMS gateway reports what became of a message it accepted.

The request carries ``Authorization: Bearer <SMS_CALLBACK_TOKEN>`` and a JSON body ``{"reference": "...",
"status": "delivered" | "read" | "failed" | "bounced" | "undeliverable", "reason": "..."}``; the
``reference`` is the one the gateway got with the message (``docs/delivery.md``). A failure marks the
delivery-log entry ``bounced`` with the reason (numbers removed), and that person gets no further message.

Answers: 204 recorded; 400 the body is not such JSON; 401 wrong or missing token; 404 no such reference, or
no ``SMS_CALLBACK_TOKEN`` configured (reports are then refused altogether).
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from survey_app.api.auth import error_response
from survey_app.domain.delivery import REPORTED_STATUSES, record_status
from survey_app.extensions import csrf, db, limiter

bp = Blueprint("gateway_status", __name__, url_prefix="/api/gateway")
csrf.exempt(bp)
limiter.limit(lambda: str(current_app.config.get("API_RATE_LIMIT", "120/minute")))(bp)


def _authorised() -> bool:
    expected = str(current_app.config.get("SMS_CALLBACK_TOKEN") or "")
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


@bp.route("/status", methods=["POST"])
def status() -> ResponseReturnValue:
    if not current_app.config.get("SMS_CALLBACK_TOKEN"):
        return error_response(404)
    if not _authorised():
        return error_response(401, "a Bearer token (SMS_CALLBACK_TOKEN) is needed")
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "the body must be a JSON object with reference and status")
    reference, state, reason = body.get("reference"), body.get("status"), body.get("reason", "")
    if not isinstance(reference, str) or not reference or len(reference) > 64:
        return error_response(400, "reference must be the text the gateway was given with the message")
    if state not in REPORTED_STATUSES:
        return error_response(400, f"status must be one of {', '.join(REPORTED_STATUSES)}")
    if not isinstance(reason, str):
        return error_response(400, "reason must be text")
    entry = record_status(reference, str(state), reason)
    if entry is None:
        db.session.rollback()
        return error_response(404, "no message has that reference")
    db.session.commit()
    return Response(status=204)
