"""The app's gettext catalogs read without Flask, for what is drawn or printed outside a request's
translations (charts, PDFs, the worker): the same ``messages.po`` the pages use, so there is one place to
translate. :func:`N_` marks a message for extraction (``pybabel extract`` knows the name) without translating
it where it is written.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
#: The languages with a catalog; the source strings are English.
LANGUAGES = ("id", "en")


def N_(message: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """``message`` itself, marked for the catalogs."""
    return message


@functools.cache
def translations(lang: str) -> NullTranslations:
    if lang not in LANGUAGES:
        raise ValueError(f"no catalog for language {lang!r}; there are: {', '.join(LANGUAGES)}")
    return Translations.load(str(TRANSLATIONS), [lang])


def translate(lang: str, message: str, **params: object) -> str:
    """``message`` in ``lang`` (the English source where the catalog has none), ``%(name)s`` filled in.

    >>> translate("id", "Responses")
    'Jawaban'
    >>> translate("id", "Page %(page)s of %(pages)s (%(total)s in all)", page=1, pages=2, total=30)
    'Halaman 1 dari 2 (seluruhnya 30)'
    """
    text = translations(lang).gettext(message)
    return text % params if params else text


def number(value: float, lang: str, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals as readers of ``lang`` write it (Babel's CLDR data).

    >>> number(72.449, "id"), number(72.449, "en"), number(1234.5, "id", 0)
    ('72,4', '72.4', '1.234')
    """
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(value, format=pattern, locale=lang))
