"""Built-in text for charts, exports and printed sheets in Bahasa Indonesia (``id``) and English (``en``).

Callers pass either a language code or a mapping. A mapping overrides keys of a built-in set: its ``lang``
key picks the base set (default ``en``) and the language in which category, dimension and group labels of
the questionnaire model are read, so a caller can rename one axis without translating everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

BUILTIN: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "id": MappingProxyType(
            {
                "lang": "id",
                "decimal_sep": ",",
                "index": "Indeks integritas",
                "score": "Skor (0–100)",
                "unit": "Unit",
                "dimension": "Dimensi",
                "campaign": "Survei",
                "target": "Target",
                "ci": "Selang kepercayaan {level:.0%}",
                "heatmap_title": "Skor dimensi per unit",
                "forest_title": "Indeks integritas dan selang kepercayaan",
                "trend_title": "Tren indeks integritas",
                "suppressed": "disembunyikan (n < {k})",
                "suppressed_short": "disembunyikan",
                "suppressed_note": "— : disembunyikan karena responden kurang dari {k}",
                "missing_note": "n/a : tidak ada data",
                "uncertain": "Selang melewati batas kategori (kategori belum pasti)",
                "certain": "Selang dalam satu kategori",
                "estimate": "estimasi",
                "alt_heatmap": (
                    "Peta panas skor {ndim} dimensi untuk {nunit} unit, skala warna {vmin}–{vmax}."
                ),
                "alt_heatmap_low": "Skor terendah: {unit}, {dimension} ({value}).",
                "alt_heatmap_high": "Skor tertinggi: {unit}, {dimension} ({value}).",
                "alt_suppressed_cells": "{count} sel disembunyikan (n < {k}).",
                "alt_forest": "Diagram forest indeks integritas untuk {n} {what} dengan selang kepercayaan.",
                "alt_forest_high": "Tertinggi: {label} {value} ({low}–{high}).",
                "alt_forest_low": "Terendah: {label} {value} ({low}–{high}).",
                "alt_target": "{below} dari {n} di bawah target {target}.",
                "alt_categories": "Batas kategori: {bands}.",
                "alt_suppressed_rows": "{count} disembunyikan (n < {k}): {labels}.",
                "alt_uncertain": "{count} dengan kategori belum pasti.",
                "alt_trend": "Tren {series} selama {n} survei ({first}–{last}):",
                "alt_trend_point": "{campaign} {value} ({low}–{high})",
                "units": "unit",
                "institutions": "instansi",
                "selected": "dipilih",
                "not_selected": "tidak dipilih",
                "yes": "ya",
                "no": "tidak",
            }
        ),
        "en": MappingProxyType(
            {
                "lang": "en",
                "decimal_sep": ".",
                "index": "Integrity index",
                "score": "Score (0–100)",
                "unit": "Unit",
                "dimension": "Dimension",
                "campaign": "Survey",
                "target": "Target",
                "ci": "{level:.0%} confidence interval",
                "heatmap_title": "Dimension scores by unit",
                "forest_title": "Integrity index with confidence intervals",
                "trend_title": "Integrity index over time",
                "suppressed": "suppressed (n < {k})",
                "suppressed_short": "suppressed",
                "suppressed_note": "— : suppressed, fewer than {k} respondents",
                "missing_note": "n/a : no data",
                "uncertain": "Interval crosses a cut-off (category uncertain)",
                "certain": "Interval within one category",
                "estimate": "estimate",
                "alt_heatmap": (
                    "Heat map of {ndim} dimension scores for {nunit} units, colour scale {vmin}–{vmax}."
                ),
                "alt_heatmap_low": "Lowest score: {unit}, {dimension} ({value}).",
                "alt_heatmap_high": "Highest score: {unit}, {dimension} ({value}).",
                "alt_suppressed_cells": "{count} cells suppressed (n < {k}).",
                "alt_forest": "Forest plot of the integrity index for {n} {what} with confidence intervals.",
                "alt_forest_high": "Highest: {label} {value} ({low}–{high}).",
                "alt_forest_low": "Lowest: {label} {value} ({low}–{high}).",
                "alt_target": "{below} of {n} below the target of {target}.",
                "alt_categories": "Category cut-offs: {bands}.",
                "alt_suppressed_rows": "{count} suppressed (n < {k}): {labels}.",
                "alt_uncertain": "{count} with an uncertain category.",
                "alt_trend": "Trend of {series} over {n} surveys ({first}–{last}):",
                "alt_trend_point": "{campaign} {value} ({low}–{high})",
                "units": "units",
                "institutions": "institutions",
                "selected": "selected",
                "not_selected": "not selected",
                "yes": "yes",
                "no": "no",
            }
        ),
    }
)


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
    text = f"{value:.{digits}f}"
    return text.replace(".", labels["decimal_sep"]) if labels["decimal_sep"] != "." else text
