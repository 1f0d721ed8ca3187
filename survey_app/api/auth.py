"""The API blueprint, bearer-token authentication and JSON error bodies."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, Response, abort, g, jsonify, request
from sqlalchemy import select, update
from werkzeug.http import HTTP_STATUS_CODES

from survey_app.domain.api_tokens import token_state
from survey_app.extensions import db
from survey_app.models import ROLES, ApiToken, User
from survey_app.models.types import utcnow
from survey_app.tokens import token_hash

P = ParamSpec("P")
R = TypeVar("R")

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Anything longer is not one of ours; refused before hashing.
MAX_TOKEN_LENGTH = 200


def error_response(status: int, message: str = "") -> Response:
    """``{"error": "not_found", "message": "..."}``; 401 also carries ``WWW-Authenticate: Bearer``."""
    name = HTTP_STATUS_CODES.get(status, "error").lower().replace(" ", "_").replace("'", "")
    response = jsonify({"error": name, "message": message or HTTP_STATUS_CODES.get(status, "Error")})
    response.status_code = status
    if status == 401:
        challenge = 'Bearer realm="api"'
        if request.headers.get("Authorization"):
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    return response


class _UnauthorizedError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _token_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise _UnauthorizedError("an API token is required: Authorization: Bearer <token>")
    if len(credential) > MAX_TOKEN_LENGTH:
        raise _UnauthorizedError("the API token is not valid")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(credential)))
    # One message for unknown, revoked, expired and deactivated: the caller cannot probe which tokens exist.
    if token is None or token_state(token) != "active" or not token.user.active:
        raise _UnauthorizedError("the API token is not valid (unknown, revoked or expired)")
    today = utcnow().date()
    if token.last_used_on != today:
        _touch(token.id, today)
    return token.user


def _touch(token_id: int, today: date) -> None:
    # One statement, committed at once: a GET otherwise writes nothing, and the date is all that is kept.
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_on=today))
    db.session.commit()


def api_user() -> User:
    user: User = g.api_user
    return user


def requires_token(role: str = "viewer") -> Callable[[Callable[P, R]], Callable[P, Any]]:
    """A valid token whose account has ``role`` or a more privileged one; 401 without, 403 below ``role``."""
    least = ROLES.index(role)

    def decorate(view: Callable[P, R]) -> Callable[P, Any]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
            try:
                user = _token_user()
            except _UnauthorizedError as refused:
                return error_response(401, refused.message)
            if ROLES.index(user.role) > least:
                abort(403, f"this endpoint needs the {role} role or a more privileged one")
            g.api_user = user
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped

    return decorate
