"""Text for charts, exports and printed sheets in Bahasa Indonesia (``id``) and English (``en``), from the
app's gettext catalogs (:mod:`survey_app.reporting.catalog`): no hand-written dictionary per language.

Callers pass either a language code or a mapping. A mapping overrides keys of a built-in set: its ``lang``
key picks the base set (default ``en``) and the language in which category, dimension and group labels of
the questionnaire model are read, so a caller can rename one axis without translating everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from babel.numbers import get_decimal_symbol

from survey_app.reporting.catalog import LANGUAGES, N_, number, translate

#: The chart and sheet texts by key, in English; the catalogs translate them (``messages.po``).
TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "index": N_("Integrity index"),
        "score": N_("Score (0–100)"),
        "unit": N_("Unit"),
        "dimension": N_("Dimension"),
        "campaign": N_("Survey"),
        "target": N_("Target"),
        "ci": N_("{level:.0%} confidence interval"),
        "heatmap_title": N_("Dimension scores by unit"),
        "forest_title": N_("Integrity index with confidence intervals"),
        "trend_title": N_("Integrity index over time"),
        "suppressed": N_("suppressed (n < {k})"),
        "suppressed_short": N_("suppressed"),
        "suppressed_note": N_("— : suppressed, fewer than {k} respondents"),
        "suppressed_primary": N_("suppressed: fewer than {k} respondents"),
        "withheld": N_("withheld to protect another cell"),
        "withheld_note": N_("* : withheld to protect another cell"),
        "changed": N_("changed by fewer than {k} respondents since an earlier run"),
        "changed_since": N_("changed by fewer than {k} respondents since run #{run}"),
        "missing_note": N_("n/a : no data"),
        "uncertain": N_("Interval crosses a cut-off (category uncertain)"),
        "certain": N_("Interval within one category"),
        "estimate": N_("estimate"),
        "alt_heatmap": N_(
            "Heat map of {ndim} dimension scores for {nunit} units, colour scale {vmin}–{vmax}."
        ),
        "alt_heatmap_low": N_("Lowest score: {unit}, {dimension} ({value})."),
        "alt_heatmap_high": N_("Highest score: {unit}, {dimension} ({value})."),
        "alt_suppressed_cells": N_("{count} cells suppressed (n < {k})."),
        "alt_forest": N_("Forest plot of the integrity index for {n} {what} with confidence intervals."),
        "alt_forest_high": N_("Highest: {label} {value} ({low}–{high})."),
        "alt_forest_low": N_("Lowest: {label} {value} ({low}–{high})."),
        "alt_target": N_("{below} of {n} below the target of {target}."),
        "alt_categories": N_("Category cut-offs: {bands}."),
        "alt_suppressed_rows": N_("{count} suppressed (n < {k}): {labels}."),
        "alt_withheld_rows": N_("{count} withheld to protect another cell: {labels}."),
        "alt_withheld_cells": N_("{count} cells withheld to protect another cell."),
        "alt_uncertain": N_("{count} with an uncertain category."),
        "alt_trend": N_("Trend of {series} over {n} surveys ({first}–{last}):"),
        "alt_trend_point": N_("{campaign} {value} ({low}–{high})"),
        "units": N_("units"),
        "institutions": N_("institutions"),
        "selected": N_("selected"),
        "not_selected": N_("not selected"),
        "yes": N_("yes"),
        "no": N_("no"),
    }
)


def _builtin(lang: str) -> Mapping[str, str]:
    texts = {key: translate(lang, message) for key, message in TEXTS.items()}
    return MappingProxyType({"lang": lang, "decimal_sep": str(get_decimal_symbol(lang)), **texts})


#: The full label set of each language with a catalog.
BUILTIN: Mapping[str, Mapping[str, str]] = MappingProxyType({lang: _builtin(lang) for lang in LANGUAGES})


def resolve_labels(labels: str | Mapping[str, str] = "id") -> Mapping[str, str]:
    """A complete label set from a language code or from overrides of one.

    >>> resolve_labels("en")["target"]
    'Target'
    >>> resolved = resolve_labels({"lang": "id", "target": "Sasaran"})
    >>> resolved["target"], resolved["unit"]
    ('Sasaran', 'Unit')
    """
    if isinstance(labels, str):
        if labels not in BUILTIN:
            raise ValueError(f"unknown label language {labels!r}; built in: {', '.join(sorted(BUILTIN))}")
        return BUILTIN[labels]
    base = labels.get("lang", "en")
    if base not in BUILTIN:
        raise ValueError(f"labels['lang'] is {base!r}; built in: {', '.join(sorted(BUILTIN))}")
    merged = dict(BUILTIN[base])
    merged.update(labels)
    return MappingProxyType(merged)


def pick(text: Mapping[str, str], lang: str, fallback: str = "") -> str:
    """Text in ``lang``, else in any language the mapping has (first declared), else ``fallback``."""
    if lang in text:
        return text[lang]
    return next(iter(text.values()), fallback)


def fmt_number(value: float, labels: Mapping[str, str], digits: int = 1) -> str:
    """A number as readers of the label language write it (``72,4`` in Bahasa Indonesia).

    >>> fmt_number(72.449, resolve_labels("id"))
    '72,4'
    """
    return number(value, labels["lang"], digits) if labels.get("lang") in LANGUAGES else f"{value:.{digits}f}"
