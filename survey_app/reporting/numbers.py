"""Numbers as readers of a language write them (Babel): ``72,4`` and ``83 %`` in Bahasa Indonesia, ``72.4``
and ``83%`` in English, ``—`` for a figure that is not there."""

from __future__ import annotations

import math

from babel.numbers import format_decimal

DASH = "—"


def number(value: float | None, digits: int = 1, lang: str = "id", *, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals in ``lang``; ``sign`` puts ``+`` before a positive one.

    >>> number(72.449, 1, "id"), number(1234.5, 1, "en"), number(-3.25, 1, "id", sign=True), number(None)
    ('72,4', '1,234.5', '−3,2', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(abs(value) if sign else value, format=pattern, locale=lang)
    if sign:
        # A typographic minus, so that "−3,2" and "+3,2" line up and a minus never reads as a dash.
        return ("+" if value > 0 else "−" if value < 0 else "±") + text
    return text


def compact(value: float | None, lang: str = "id") -> str:
    """A figure set by hand (a target, a national average) with the decimals it has, up to two: ``74``,
    ``71,53``.

    >>> compact(74.0, "id"), compact(71.53, "id"), compact(72.4, "en"), compact(None)
    ('74', '71,53', '72.4', '—')
    """
    if value is None or math.isnan(value):
        return DASH
    return str(format_decimal(value, format="#,##0.##", locale=lang))


def rate(fraction: float | None, lang: str = "id") -> str:
    """A rate (0–1) as a whole percentage, 0 % and 100 % included: ``37 %`` / ``37%``.

    >>> rate(0.0, "id"), rate(0.372, "en"), rate(None)
    ('0 %', '37%', '—')
    """
    if fraction is None or math.isnan(fraction):
        return DASH
    return number(fraction * 100, 0, lang) + (" %" if lang == "id" else "%")


def percent(probability: float | None, lang: str = "id") -> str:
    """A probability (0–1) as a whole percentage; below 1 % and above 99 % as ``< 1 %`` / ``> 99 %``, since
    a model's 0 % or 100 % claims more certainty than a survey gives.

    >>> percent(0.834, "id"), percent(0.834, "en"), percent(0.0001, "id"), percent(None)
    ('83 %', '83%', '< 1 %', '—')
    """
    if probability is None or math.isnan(probability):
        return DASH
    # Indonesian style writes a space before the sign (KPK's reports: "83 %"), English none.
    space = " " if lang == "id" else ""
    if probability < 0.01:
        return f"< 1{space}%"
    if probability > 0.99:
        return f"> 99{space}%"
    return f"{round(probability * 100):d}{space}%"


def share(value: float | None, lang: str = "id") -> str:
    """A share already in percent (0–100) with one decimal: ``12,5 %`` / ``12.5%``.

    >>> share(12.46, "id"), share(12.46, "en"), share(None)
    ('12,5 %', '12.5%', '—')
    """
    if value is None or math.isnan(value):
        return DASH
    return number(value, 1, lang) + (" %" if lang == "id" else "%")
