"""Language choice: ``?lang=`` (remembered in the session), else ``Accept-Language``, else ``id``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast
from urllib.parse import urlencode

from babel.support import NullTranslations
from flask import Flask, current_app, g, request, session
from flask_babel import get_locale, get_translations


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


def _template_translations() -> NullTranslations:
    """The request's translations for its current locale, looked up once per request and locale."""
    locale = get_locale()
    cached = g.get("_template_translations")
    if cached is None or cached[0] is not locale:
        cached = g._template_translations = (locale, get_translations())
    translations: NullTranslations = cached[1]
    return translations


class _GettextEnvironment(Protocol):
    """The method Jinja's ``i18n`` extension (which Flask-Babel adds) sets on the environment when it
    loads, so ``jinja2.Environment``'s type lacks it; the signature is the extension's ``_install_callables``.
    """

    def install_gettext_callables(
        self,
        gettext: Callable[[str], str],
        ngettext: Callable[[str, str, int], str],
        newstyle: bool | None = None,
        pgettext: Callable[[str, str], str] | None = None,
        npgettext: Callable[[str, str, str, int], str] | None = None,
    ) -> None: ...


def install_template_gettext(app: Flask) -> None:
    """Jinja's ``_()``/``gettext`` and friends, as Flask-Babel installs them but with the translations kept
    per request.

    Flask-Babel's callables look up the domain, the locale and the catalog cache on every call: 14 µs per
    translated string, where a respondent page translates a dozen or more (about a tenth of a page's CPU).
    Keyed by the locale object, so ``force_locale`` (the questionnaire preview) still gets its language.
    """
    cast(_GettextEnvironment, app.jinja_env).install_gettext_callables(
        gettext=lambda s: _template_translations().ugettext(s),
        ngettext=lambda s, p, n: _template_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _template_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _template_translations().unpgettext(c, s, p, n),
    )
