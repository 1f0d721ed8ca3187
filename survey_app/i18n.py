"""Language choice: ``?lang=`` (remembered in the session), else ``Accept-Language``, else ``id``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, request, session
from flask_babel import get_locale


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def remember_requested_language() -> None:
    """``before_request``: a ``?lang=xx`` link switches the language for the rest of the visit."""
    wanted = request.args.get("lang")
    if wanted in languages() and session.get("lang") != wanted:
        session["lang"] = wanted


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in languages():
        return str(chosen)
    chosen = session.get("lang")
    if chosen in languages():
        return str(chosen)
    best = request.accept_languages.best_match(languages())
    return best or str(current_app.config["BABEL_DEFAULT_LOCALE"])


#: Each language is named in itself, so a reader finds theirs whatever language the page is in.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


def language_url(code: str) -> str:
    """The current page in language ``code`` (other query arguments kept)."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    args["lang"] = code
    return f"{request.path}?{urlencode(args)}"


def template_context() -> dict[str, Any]:
    return {
        "languages": languages(),
        "language_names": LANGUAGE_NAMES,
        "language_url": language_url,
        "current_lang": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
    }
