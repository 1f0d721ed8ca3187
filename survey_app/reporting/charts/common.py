"""What the heat map, forest plot and trend share: the :class:`Chart` they return, the house style and the
one place that renders it, the colours, and the reading of index frames (suppression, numbers, categories).

Internal to :mod:`survey_app.reporting.charts`, which re-exports the public names.
"""

from __future__ import annotations

import math
import textwrap
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

import matplotlib as mpl
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from questionnaires.profile import Category
from survey_app.reporting.labels import fmt_number, pick

_RC: Any = {
    "svg.hashsalt": "survey_app.reporting",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100.0,
}
_LOCK = threading.Lock()

#: Okabe–Ito palette (colour-blind safe) for series, and light tints of it for category bands.
OKABE_ITO = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
#: Lowest category first: a warm tint for risk, a yellow for watch, a blue for guarded; all light enough
#: for black text and markers on top.
BAND_COLOURS = ("#F6D3BF", "#FBF3C1", "#CFE6F5", "#D5EFE6", "#EAD7E4")
#: Text standing in for a number ("n/a", "suppressed"): grey to set it apart, still above 7:1 contrast on
#: white, on every band tint and on the grey of a suppressed cell.
MUTED = "#404040"
_TARGET_STYLE: dict[str, Any] = {"color": "#333333", "linestyle": (0, (5, 3))}
#: Unit and institution names wrap at this many characters; the figure widens for names up to that long.
ROW_LABEL_CHARS = 34


@dataclass(frozen=True)
class Chart:
    """A rendered chart. ``table`` holds the numbers shown; suppressed values are missing there too."""

    title: str
    png: bytes
    svg: str
    alt_text: str
    table: pd.DataFrame


# Colour contrast --------------------------------------------------------------------------------------------


def _relative_luminance(rgba: Sequence[float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(c)) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour_for(rgba: Sequence[float]) -> str:
    """Black or white, whichever has the higher WCAG contrast ratio on the background ``rgba``."""
    lum = _relative_luminance(rgba)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# Reading the input ------------------------------------------------------------------------------------------


def require_rows(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    """Name every missing column at once, then refuse an empty frame."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}"
        )
    if frame.empty:
        raise ValueError(f"{what}: no rows to draw")


def counts(frame: pd.DataFrame, n: str) -> pd.Series:
    """The ``n`` column as numbers; an unreadable count is missing rather than an error."""
    return pd.to_numeric(frame[n], errors="coerce")


def suppression_mask(frame: pd.DataFrame, suppressed: str, n: str, min_cell: int) -> pd.Series:
    """Rows flagged in the ``suppressed`` column or with fewer than ``min_cell`` respondents; either column
    may be absent."""
    mask = pd.Series(False, index=frame.index)
    if suppressed in frame.columns:
        mask |= frame[suppressed].fillna(False).astype(bool)
    if n in frame.columns:
        known = counts(frame, n)
        mask |= known.notna() & (known < min_cell)
    return mask


def interval_columns(
    frame: pd.DataFrame, hidden: pd.Series, estimate: str, ci_low: str, ci_high: str
) -> dict[str, pd.Series]:
    """Estimate and CI as floats, blanked where ``hidden`` so that a suppressed number reaches neither the
    picture nor the alt text nor the table."""
    return {
        key: pd.to_numeric(frame[column], errors="raise").astype(float).mask(hidden)
        for key, column in (("estimate", estimate), ("ci_low", ci_low), ("ci_high", ci_high))
    }


# Categories -------------------------------------------------------------------------------------------------


def by_lower(categories: Iterable[Category]) -> tuple[Category, ...]:
    return tuple(sorted(categories, key=lambda c: c.lower))


def category_of(value: float, categories: Sequence[Category]) -> Category | None:
    # Same semantics as ScoringProfile.category_of, which needs a whole profile.
    for i, cat in enumerate(categories):
        last = i == len(categories) - 1
        if cat.lower <= value < cat.upper or (last and value == cat.upper):
            return cat
    return None


def _band_label(cat: Category, lang: str, labels: Mapping[str, str], first: bool, last: bool) -> str:
    name = pick(cat.label, lang, cat.id)
    if first:
        return f"{name} < {fmt_number(cat.upper, labels, 0)}"
    if last:
        return f"{name} ≥ {fmt_number(cat.lower, labels, 0)}"
    return f"{name} {fmt_number(cat.lower, labels, 0)}–{fmt_number(cat.upper, labels, 0)}"


def bands_text(categories: Sequence[Category], labels: Mapping[str, str]) -> str:
    n = len(categories)
    return ", ".join(
        _band_label(c, labels["lang"], labels, i == 0, i == n - 1) for i, c in enumerate(categories)
    )


def visible_bands(
    categories: Sequence[Category], lim: tuple[float, float]
) -> Iterator[tuple[Category, float, float, str]]:
    """Each category clipped to the axis range, with its tint; a band outside the range is skipped but keeps
    its tint, so a category has the same colour in every chart."""
    for i, cat in enumerate(categories):
        a, b = max(cat.lower, lim[0]), min(cat.upper, lim[1])
        if a < b:
            yield cat, a, b, BAND_COLOURS[i % len(BAND_COLOURS)]


# Axes and text ----------------------------------------------------------------------------------------------


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def fmt_round(value: float, lab: Mapping[str, str]) -> str:
    return fmt_number(value, lab, 0 if float(value).is_integer() else 1)


def interval_text(row: pd.Series, lab: Mapping[str, str]) -> dict[str, str]:
    """``value``, ``low`` and ``high`` of one row for the label templates."""
    return {
        key: fmt_number(float(row[column]), lab)
        for key, column in (("value", "estimate"), ("low", "ci_low"), ("high", "ci_high"))
    }


def number_axis(axis: Axis, lab: Mapping[str, str]) -> None:
    """Integer ticks in the label language's number style (``72,5`` would read as two numbers in English)."""
    axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v, lab, 0)))


def index_range(
    low: pd.Series, high: pd.Series, target: float | None, categories: Sequence[Category]
) -> tuple[float, float]:
    """Index-axis limits on multiples of 5 within 0–100 that hold every interval, the target and each
    inner cut-off, so no band edge or target falls outside the picture."""
    points = [*low.dropna(), *high.dropna()]
    if target is not None:
        points.append(target)
    points += [c.lower for c in categories if 0 < c.lower < 100]
    if not points:
        return (0.0, 100.0)
    return (
        max(0.0, math.floor((min(points) - 2) / 5) * 5),
        min(100.0, math.ceil((max(points) + 2) / 5) * 5),
    )


def target_line(ax: Axes, target: float, lab: Mapping[str, str], *, vertical: bool, zorder: float) -> Line2D:
    """Draw the target across the index axis; the legend entry is returned because the line itself is
    not labelled."""
    draw = ax.axvline if vertical else ax.axhline
    draw(target, linewidth=1.2, zorder=zorder, **_TARGET_STYLE)
    return Line2D([], [], label=f"{lab['target']} {fmt_round(target, lab)}", **_TARGET_STYLE)


def legend_below(fig: Figure, handles: Sequence[Artist]) -> None:
    """A legend under the axes, in as many columns (up to three) as fit the figure's width.

    Labels are long in Indonesian ("Selang melewati batas kategori …"): a row that does not fit would run
    off both edges of the image, so fewer columns are tried until the legend fits (one column always does:
    the constrained layout makes room below).
    """
    for ncols in range(min(len(handles), 3), 0, -1):
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)
        if ncols == 1:
            return
        fig.draw_without_rendering()
        box, page = legend.get_window_extent(), fig.bbox
        if box.x0 >= page.x0 and box.x1 <= page.x1:
            return
        legend.remove()


# Rendering --------------------------------------------------------------------------------------------------


@contextmanager
def styled_figure(width: float, height: float) -> Iterator[tuple[Figure, Axes]]:
    """A figure and its axes under the house style; call :func:`finish` inside the block, as the style
    (fonts, SVG id salt) applies when rendering too."""
    with _LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        yield fig, fig.add_subplot()


def finish(fig: Figure, title: str, alt_text: str, table: pd.DataFrame, dpi: int) -> Chart:
    canvas = FigureCanvasAgg(fig)
    png = BytesIO()
    canvas.print_figure(png, format="png", dpi=dpi, metadata={"Software": None})
    svg = BytesIO()
    canvas.print_figure(svg, format="svg", metadata={"Date": None})
    return Chart(
        title=title,
        png=png.getvalue(),
        svg=_accessible_svg(svg.getvalue().decode("utf-8"), title, alt_text),
        alt_text=alt_text,
        table=table,
    )


def _accessible_svg(svg: str, title: str, desc: str) -> str:
    """Give the SVG root ``role="img"`` and a ``<title>``/``<desc>`` that screen readers announce."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    head = svg[start:end]
    head += ' role="img" aria-labelledby="chart-title chart-desc"'
    extra = f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
    return svg[:start] + head + ">" + extra + svg[end + 1 :]
