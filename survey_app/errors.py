"""Error pages in the respondent's language, for every status the app can answer; never a traceback."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from survey_app.domain.errors import NotFoundError
from survey_app.logs import log_unexpected

PAGES = (400, 403, 404, 405, 410, 413, 429, 500)


def _page(code: int, request_id: str | None = None) -> tuple[str, int]:
    shown = code if code in PAGES else 500
    return render_template("errors/error.html", code=shown, request_id=request_id), code


def handle_http(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    response = error.get_response()
    body, status = _page(code)
    response.set_data(body)
    response.status_code = status
    response.mimetype = "text/html"
    return response


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    # Registering a handler for Exception stops Flask from logging it, so it is logged here, once.
    return _page(500, log_unexpected(error))


def handle_not_found(error: NotFoundError) -> ResponseReturnValue:
    # The domain says "absent or out of scope"; both look like a 404, so scope is not revealed.
    return handle_http(NotFound())


def init_errors(app: Flask) -> None:
    app.register_error_handler(NotFoundError, handle_not_found)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_http)
    if not app.testing and not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
