"""The read-only JSON API (``/api/v1``): campaigns and their results for scripts and dashboards.

A request authenticates with ``Authorization: Bearer <token>``, an :class:`~survey_app.models.ApiToken` of a
console account, and acts with that account's role and institution scope: the same rules as the console
(campaigns out of scope answer 404, viewers read published runs only, small cells are suppressed, quality
flags only for analysts and admins). Only ``GET`` routes exist, so CSRF does not apply; a console login (the
session cookie) does not authenticate API calls.

Errors under ``/api/`` are JSON, never the HTML error pages: the blueprint's own handlers cover what its views
raise, and :func:`init_api` adds app-level 404/405 handlers for URLs that match no route (Flask resolves those
before any blueprint is known), handing every other path back to :mod:`survey_app.errors`.

* :mod:`.auth` – the blueprint, token authentication, JSON errors
* :mod:`.views` – the endpoints
* :mod:`.openapi` – the OpenAPI 3.1 description served at ``/api/v1/openapi.json``
* :mod:`.gateway_status` – ``POST /api/gateway/status``, a WhatsApp/SMS gateway's delivery reports (its own
  token, ``SMS_CALLBACK_TOKEN``; not an account's)
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from survey_app.api import views as _views  # noqa: F401  (registers the routes on ``bp``)
from survey_app.api.auth import bp, error_response
from survey_app.domain.errors import NotFoundError
from survey_app.extensions import csrf, limiter

__all__ = ["bp", "init_api"]

#: Requests per client address; ``API_RATE_LIMIT`` in the app config overrides it.
API_RATE_LIMIT = "120/minute"


def _api_http_error(error: HTTPException) -> ResponseReturnValue:
    response = error_response(error.code or 500, error.description or "")
    if error.code == 405:
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


def _api_unexpected(error: Exception) -> ResponseReturnValue:
    # Under test or debug let it propagate (a traceback helps there); otherwise a JSON 500, never a page.
    if current_app.testing or current_app.debug:
        raise error
    current_app.logger.exception("API error")
    return error_response(500)


def _api_not_found(error: NotFoundError) -> ResponseReturnValue:
    return error_response(404)


bp.register_error_handler(NotFoundError, _api_not_found)
bp.register_error_handler(HTTPException, _api_http_error)
bp.register_error_handler(Exception, _api_unexpected)
# Done once at import: the limiter and the blueprint are module-level singletons, and each call would add
# another copy of the limit. Keyed by client address (the limiter's default), before the token is looked
# at, so guessing tokens is throttled as well; shared by all endpoints (one budget per client, not one per
# endpoint). The limit is read from the config at request time.
limiter.shared_limit(lambda: str(current_app.config.get("API_RATE_LIMIT", API_RATE_LIMIT)), scope="api")(bp)
csrf.exempt(bp)


@bp.after_request
def _not_cached(response: Response) -> Response:
    # Answers depend on the token's account: no shared cache may keep or replay them.
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response


def _unrouted(error: HTTPException) -> ResponseReturnValue:
    if request.path == "/api" or request.path.startswith("/api/"):
        return _api_http_error(error)
    from survey_app.errors import handle_http

    return handle_http(error)


def init_api(app: Flask) -> None:
    """Register the API blueprint and JSON answers for unrouted ``/api/`` URLs."""
    app.config.setdefault("API_RATE_LIMIT", API_RATE_LIMIT)
    from survey_app.api.gateway_status import bp as gateway_status

    app.register_blueprint(bp)
    app.register_blueprint(gateway_status)
    app.register_error_handler(404, _unrouted)
    app.register_error_handler(405, _unrouted)
