"""``/healthz`` and ``/readyz`` for load balancers and process supervisors.

``/healthz`` answers as long as the process serves requests; ``/readyz`` also needs the database and, where
configured, Redis. Neither is rate limited (a balancer polls every few seconds) nor logged per request
(:class:`survey_app.security.RedactingFilter` drops their access-log lines).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from survey_app.extensions import db, limiter

bp = Blueprint("health", __name__)
PATHS = ("/healthz", "/readyz")


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    return jsonify(status="alive")


@bp.get("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    problems = []
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        problems.append(f"database: {type(getattr(exc, 'orig', None) or exc).__name__}")
        db.session.rollback()
    finally:
        db.session.remove()
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from survey_app.queue import redis_connection

        try:
            redis_connection().ping()
        except Exception as exc:  # any failure of the client means "not ready"; the kind is reported
            problems.append(f"redis: {type(exc).__name__}")
    if problems:
        current_app.logger.warning("not ready: %s", "; ".join(problems))
        return jsonify(status="not ready", problems=problems), 503
    return jsonify(status="ready")
