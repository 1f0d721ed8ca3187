"""Server-side charts for the results pages: heat map, forest plot and trend, each with a text alternative.

Every function returns a :class:`Chart`: PNG bytes, an SVG string (text kept as text, with ``<title>`` and
``<desc>`` for screen readers), a concise ``alt_text`` and the ``table`` of numbers behind the picture so the
page can show a data table.

Rendering rules, and why:

* ``matplotlib.figure.Figure`` with an explicit ``FigureCanvasAgg``, never pyplot: pyplot keeps global figure
  state and is not safe in a threaded web server; ``matplotlib.use()`` is never called.
* Style (font, sizes, SVG id salt) is applied with ``matplotlib.rc_context`` under a module lock, so the
  process-wide ``rcParams`` a caller set are restored afterwards and two requests never interleave.
* Output is deterministic: a fixed ``svg.hashsalt``, no date in SVG metadata, no software tag in PNG metadata.
  The same input gives byte-identical PNG and SVG with the same matplotlib version.
* Fonts: DejaVu Sans, bundled with matplotlib (no system fonts, no internet).
* Colour: ``cividis`` (designed for colour-vision deficiency) for the heat map, with black or white cell text
  chosen by WCAG contrast; category bands use light Okabe–Ito tints and are also named in text, so colour is
  never the only carrier of meaning.
"""

from __future__ import annotations

import math
import textwrap
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from questionnaires.profile import Category, Dimension
from survey_app.reporting.labels import fmt_number, pick, resolve_labels

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
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")
#: Lowest category first: a warm tint for risk, a yellow for watch, a blue for guarded; all light enough
#: for black text and markers on top.
BAND_COLOURS = ("#F6D3BF", "#FBF3C1", "#CFE6F5", "#D5EFE6", "#EAD7E4")
_SUPPRESSED_FACE = "#D9D9D9"
_SUPPRESSED_EDGE = "#7F7F7F"


@dataclass(frozen=True)
class Chart:
    """A rendered chart. ``table`` holds the numbers shown; suppressed values are missing there too."""

    title: str
    png: bytes
    svg: str
    alt_text: str
    table: pd.DataFrame


# Shared helpers -------------------------------------------------------------------------------------------


def _relative_luminance(rgba: Sequence[float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(float(c)) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour_for(rgba: Sequence[float]) -> str:
    """Black or white, whichever has the higher WCAG contrast ratio on the background ``rgba``.

    >>> text_colour_for((1.0, 1.0, 0.0, 1.0)), text_colour_for((0.0, 0.1, 0.3, 1.0))
    ('black', 'white')
    """
    lum = _relative_luminance(rgba)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _category_of(value: float, categories: Sequence[Category]) -> Category | None:
    # Same semantics as ScoringProfile.category_of, which needs a whole profile.
    for i, cat in enumerate(categories):
        last = i == len(categories) - 1
        if cat.lower <= value < cat.upper or (last and value == cat.upper):
            return cat
    return None


def _check_columns(frame: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, frame.columns))}"
        )


def _suppression_mask(frame: pd.DataFrame, suppressed: str, n: str, min_cell: int) -> pd.Series:
    mask = pd.Series(False, index=frame.index)
    if suppressed in frame.columns:
        mask |= frame[suppressed].fillna(False).astype(bool)
    if n in frame.columns:
        counts = pd.to_numeric(frame[n], errors="coerce")
        mask |= counts.notna() & (counts < min_cell)
    return mask


def _band_label(cat: Category, lang: str, labels: Mapping[str, str], first: bool, last: bool) -> str:
    name = pick(cat.label, lang, cat.id)
    if first:
        return f"{name} < {fmt_number(cat.upper, labels, 0)}"
    if last:
        return f"{name} ≥ {fmt_number(cat.lower, labels, 0)}"
    return f"{name} {fmt_number(cat.lower, labels, 0)}–{fmt_number(cat.upper, labels, 0)}"


def _bands_text(categories: Sequence[Category], labels: Mapping[str, str]) -> str:
    n = len(categories)
    return ", ".join(
        _band_label(c, labels["lang"], labels, i == 0, i == n - 1) for i, c in enumerate(categories)
    )


def _fmt_round(value: float, lab: Mapping[str, str]) -> str:
    return fmt_number(value, lab, 0 if float(value).is_integer() else 1)


def _number_axis(axis: Any, lab: Mapping[str, str]) -> None:
    """Integer ticks in the label language's number style (``72,5`` would read as two numbers in English)."""
    axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v, lab, 0)))


def _finish(fig: Figure, title: str, alt_text: str, table: pd.DataFrame, dpi: int) -> Chart:
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


# Heat map ---------------------------------------------------------------------------------------------------


def heatmap(
    scores: pd.DataFrame,
    *,
    suppressed: pd.DataFrame | None = None,
    min_cell: int = 5,
    dimensions: Sequence[Dimension] | Mapping[str, str] | None = None,
    labels: str | Mapping[str, str] = "id",
    title: str | None = None,
    vmin: float | None = None,
    vmax: float = 100.0,
    cmap: str = "cividis",
    dpi: int = 150,
) -> Chart:
    """Dimension scores (0–100) by unit: rows are units (the index), columns are dimension ids.

    ``suppressed`` is a boolean frame of the same shape: those cells are drawn hatched grey with "—" and their
    values are never shown, whatever ``scores`` holds. Other missing cells read "n/a". ``dimensions`` gives
    column labels (profile dimensions or a mapping id → label); unknown ids are shown as they are.
    ``vmin`` defaults to the lowest shown score rounded down to a multiple of 10, so differences between
    units stay visible; the colour bar states the range.
    """
    lab = resolve_labels(labels)
    lang = lab["lang"]
    if scores.empty:
        raise ValueError("heatmap: no units or no dimensions to draw")
    values = scores.apply(pd.to_numeric, errors="raise").astype(float)
    if suppressed is None:
        mask = pd.DataFrame(False, index=values.index, columns=values.columns)
    else:
        if not (suppressed.index.equals(values.index) and suppressed.columns.equals(values.columns)):
            raise ValueError(
                "heatmap: 'suppressed' must have the same units (index) and dimensions as 'scores'"
            )
        mask = suppressed.fillna(False).astype(bool)
    shown = values.mask(mask)
    if isinstance(dimensions, Mapping):
        names = {str(k): str(v) for k, v in dimensions.items()}
    else:
        names = {d.id: pick(d.label, lang, d.id) for d in dimensions or ()}
    col_labels = [names.get(str(c), str(c)) for c in values.columns]
    row_labels = [str(u) for u in values.index]

    finite = shown.to_numpy()[np.isfinite(shown.to_numpy())]
    if vmin is None:
        vmin = math.floor(finite.min() / 10) * 10 if finite.size else 0.0
        vmin = min(vmin, vmax - 10)
    norm = Normalize(vmin=vmin, vmax=vmax)
    colours = mpl.colormaps[cmap].with_extremes(bad="white")
    title = title or lab["heatmap_title"]

    nrow, ncol = values.shape
    wrapped_cols = [_wrap(c, 14) for c in col_labels]
    header_lines = max(c.count("\n") + 1 for c in wrapped_cols)
    label_width = min(max(len(r) for r in row_labels), 34)
    width = 1.4 + 0.075 * label_width + 1.05 * ncol + 1.0
    height = 1.5 + 0.16 * header_lines + 0.42 * nrow + 0.3

    with _LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        data = np.ma.masked_invalid(shown.to_numpy())
        image = ax.imshow(data, cmap=colours, norm=norm, aspect="auto", interpolation="nearest")
        ax.xaxis.tick_top()
        ax.set_xticks(range(ncol), labels=wrapped_cols)
        ax.set_yticks(range(nrow), labels=[_wrap(r, 34) for r in row_labels])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xticks(np.arange(-0.5, ncol, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, nrow, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)

        any_missing = False
        for i in range(nrow):
            for j in range(ncol):
                if mask.iat[i, j]:
                    ax.add_patch(
                        Rectangle(
                            (j - 0.5, i - 0.5),
                            1,
                            1,
                            facecolor=_SUPPRESSED_FACE,
                            edgecolor=_SUPPRESSED_EDGE,
                            hatch="///",
                            linewidth=0,
                        )
                    )
                    ax.text(
                        j,
                        i,
                        "—",
                        ha="center",
                        va="center",
                        color="black",
                        fontsize=10,
                        bbox={"facecolor": _SUPPRESSED_FACE, "edgecolor": "none", "pad": 1.0},
                    )
                elif not np.isfinite(values.iat[i, j]):
                    any_missing = True
                    ax.text(j, i, "n/a", ha="center", va="center", color="#404040")
                else:
                    v = values.iat[i, j]
                    ax.text(
                        j,
                        i,
                        fmt_number(v, lab),
                        ha="center",
                        va="center",
                        color=text_colour_for(colours(norm(v))),
                    )
        bar = fig.colorbar(image, ax=ax, shrink=min(1.0, 4.0 / max(nrow, 1) + 0.3), aspect=15, pad=0.02)
        bar.set_label(lab["score"])
        notes = []
        if bool(mask.to_numpy().any()):
            notes.append(lab["suppressed_note"].format(k=min_cell))
        if any_missing:
            notes.append(lab["missing_note"])
        if notes:
            ax.set_xlabel("     ".join(notes), loc="left", labelpad=8)
        ax.set_title(title, loc="left", pad=10)

        table = shown.copy()
        table.index = pd.Index(row_labels, name=lab["unit"])
        table.columns = pd.Index(col_labels, name=lab["dimension"])
        alt = _heatmap_alt(
            shown, row_labels, col_labels, int(mask.to_numpy().sum()), min_cell, vmin, vmax, lab
        )
        return _finish(fig, title, alt, table, dpi)


def _heatmap_alt(
    shown: pd.DataFrame,
    rows: list[str],
    cols: list[str],
    n_suppressed: int,
    min_cell: int,
    vmin: float,
    vmax: float,
    lab: Mapping[str, str],
) -> str:
    parts = [
        lab["alt_heatmap"].format(
            ndim=len(cols), nunit=len(rows), vmin=fmt_number(vmin, lab, 0), vmax=fmt_number(vmax, lab, 0)
        )
    ]
    arr = shown.to_numpy()
    if np.isfinite(arr).any():
        lo = np.unravel_index(np.nanargmin(arr), arr.shape)
        hi = np.unravel_index(np.nanargmax(arr), arr.shape)
        parts.append(
            lab["alt_heatmap_low"].format(
                unit=rows[lo[0]], dimension=cols[lo[1]], value=fmt_number(arr[lo], lab)
            )
        )
        parts.append(
            lab["alt_heatmap_high"].format(
                unit=rows[hi[0]], dimension=cols[hi[1]], value=fmt_number(arr[hi], lab)
            )
        )
    if n_suppressed:
        parts.append(lab["alt_suppressed_cells"].format(count=n_suppressed, k=min_cell))
    return " ".join(parts)


# Forest plot ------------------------------------------------------------------------------------------------


def forest_plot(
    results: pd.DataFrame,
    *,
    categories: Sequence[Category] = (),
    target: float | None = None,
    estimate: str = "estimate",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    n: str = "n",
    suppressed: str = "suppressed",
    min_cell: int = 5,
    level: float = 0.95,
    institutions: bool = False,
    sort: bool = False,
    xlim: tuple[float, float] | None = None,
    labels: str | Mapping[str, str] = "id",
    title: str | None = None,
    dpi: int = 150,
) -> Chart:
    """Unit (or institution) indices with their CIs against a target line and the category bands.

    ``results`` is indexed by the unit/institution label and has columns ``estimate``, ``ci_low``, ``ci_high``
    and optionally ``n`` and ``suppressed``. A row is suppressed when its ``suppressed`` flag is true or its
    ``n`` is below ``min_cell``; it is listed as "suppressed (n < k)" and its numbers are not drawn.
    ``categories`` are the profile's bands, lowest first (``ScoringProfile.categories``). A hollow marker
    means the interval crosses a cut-off, so the category is uncertain. Rows keep their order unless
    ``sort`` (highest index on top).
    """
    lab = resolve_labels(labels)
    lang = lab["lang"]
    _check_columns(results, (estimate, ci_low, ci_high), "forest_plot")
    if results.empty:
        raise ValueError("forest_plot: no rows to draw")
    cats = tuple(sorted(categories, key=lambda c: c.lower))
    hidden = _suppression_mask(results, suppressed, n, min_cell)
    est = pd.to_numeric(results[estimate], errors="raise").astype(float).mask(hidden)
    low = pd.to_numeric(results[ci_low], errors="raise").astype(float).mask(hidden)
    high = pd.to_numeric(results[ci_high], errors="raise").astype(float).mask(hidden)
    frame = pd.DataFrame({"estimate": est, "ci_low": low, "ci_high": high, "suppressed": hidden})
    frame.index = pd.Index([str(i) for i in results.index], name=lab["unit"] if not institutions else "")
    if n in results.columns:
        frame.insert(3, "n", pd.to_numeric(results[n], errors="coerce").to_numpy())
    if sort:
        frame = frame.sort_values("estimate", ascending=False, na_position="last", kind="stable")

    def cat_label(v: float) -> str | None:
        c = _category_of(v, cats) if np.isfinite(v) else None
        return pick(c.label, lang, c.id) if c else None

    frame["category"] = [cat_label(v) for v in frame["estimate"]]
    uncertain = [
        bool(cats)
        and np.isfinite(lo)
        and np.isfinite(hi)
        and _category_of(lo, cats) != _category_of(hi, cats)
        for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
    ]
    frame["category_uncertain"] = uncertain

    shown = frame.loc[~frame["suppressed"]]
    if xlim is None:
        points = [*shown["ci_low"].dropna(), *shown["ci_high"].dropna()]
        if target is not None:
            points.append(target)
        points += [c.lower for c in cats if 0 < c.lower < 100]
        lo_x = max(0.0, math.floor((min(points) - 2) / 5) * 5) if points else 0.0
        hi_x = min(100.0, math.ceil((max(points) + 2) / 5) * 5) if points else 100.0
        xlim = (lo_x, hi_x)
    title = title or lab["forest_title"]
    names = list(frame.index)
    nrow = len(names)
    label_width = min(max(len(s) for s in names), 34)

    with _LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=(3.6 + 0.075 * label_width + 2.2, 1.9 + 0.34 * nrow), layout="constrained")
        ax = fig.add_subplot()
        ys = np.arange(nrow)[::-1]
        ax.set_ylim(-0.7, nrow - 0.3)
        ax.set_xlim(*xlim)
        on_top = blended_transform_factory(ax.transData, ax.transAxes)
        for i, cat in enumerate(cats):
            a, b = max(cat.lower, xlim[0]), min(cat.upper, xlim[1])
            if a >= b:
                continue
            ax.axvspan(a, b, color=BAND_COLOURS[i % len(BAND_COLOURS)], zorder=0, linewidth=0)
            ax.text(
                (a + b) / 2,
                1.01,
                _wrap(pick(cat.label, lang, cat.id), 12),
                transform=on_top,
                ha="center",
                va="bottom",
                fontsize=8.5,
                clip_on=False,
            )
        handles: list[Any] = []
        if target is not None:
            ax.axvline(target, color="#333333", linestyle=(0, (5, 3)), linewidth=1.2, zorder=1)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#333333",
                    linestyle=(0, (5, 3)),
                    label=f"{lab['target']} {_fmt_round(target, lab)}",
                )
            )
        right_labels = []
        for y, (_, row) in zip(ys, frame.iterrows(), strict=True):
            if row["suppressed"]:
                ax.text(
                    xlim[0] + 0.01 * (xlim[1] - xlim[0]),
                    y,
                    lab["suppressed"].format(k=min_cell),
                    va="center",
                    ha="left",
                    color="#404040",
                    style="italic",
                )
                right_labels.append("—")
                continue
            if not np.isfinite(row["estimate"]):
                right_labels.append("n/a")
                continue
            ax.errorbar(
                row["estimate"],
                y,
                xerr=[[row["estimate"] - row["ci_low"]], [row["ci_high"] - row["estimate"]]],
                fmt="none",
                ecolor="black",
                elinewidth=1.4,
                capsize=3,
                zorder=3,
            )
            ax.plot(
                row["estimate"],
                y,
                marker="o",
                markersize=6.5,
                color="black",
                markerfacecolor="white" if row["category_uncertain"] else "black",
                zorder=4,
            )
            right_labels.append(
                f"{fmt_number(row['estimate'], lab)} "
                f"[{fmt_number(row['ci_low'], lab)}; {fmt_number(row['ci_high'], lab)}]"
            )
        ax.set_yticks(ys, labels=[_wrap(s, 34) for s in names])
        ax.tick_params(axis="y", length=0)
        twin = ax.twinx()
        twin.set_ylim(ax.get_ylim())
        twin.set_yticks(ys, labels=right_labels)
        twin.tick_params(axis="y", length=0)
        for spine in (*ax.spines.values(), *twin.spines.values()):
            spine.set_visible(False)
        ax.spines["bottom"].set_visible(True)
        _number_axis(ax.xaxis, lab)
        ax.set_xlabel(lab["index"] + " — " + lab["ci"].format(level=level))
        handles.append(
            Line2D([], [], color="black", marker="o", markerfacecolor="black", label=lab["certain"])
        )
        if cats:
            handles.append(
                Line2D([], [], color="black", marker="o", markerfacecolor="white", label=lab["uncertain"])
            )
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False)
        ax.set_title(title, loc="left", pad=18 if cats else 8)

        table = frame.copy()
        alt = _forest_alt(table, cats, target, min_cell, institutions, lab)
        return _finish(fig, title, alt, table, dpi)


def _forest_alt(
    table: pd.DataFrame,
    cats: Sequence[Category],
    target: float | None,
    min_cell: int,
    institutions: bool,
    lab: Mapping[str, str],
) -> str:
    shown = table.loc[~table["suppressed"] & table["estimate"].notna()]
    what = lab["institutions"] if institutions else lab["units"]
    parts = [lab["alt_forest"].format(n=len(table), what=what)]

    def describe(key: str, position: int) -> str:
        # Positional, so that two units with the same name cannot turn a row into a frame.
        row = shown.iloc[position]
        return lab[key].format(
            label=str(shown.index[position]),
            value=fmt_number(float(row["estimate"]), lab),
            low=fmt_number(float(row["ci_low"]), lab),
            high=fmt_number(float(row["ci_high"]), lab),
        )

    if len(shown):
        estimates = shown["estimate"].to_numpy(dtype=float)
        parts.append(describe("alt_forest_high", int(estimates.argmax())))
        if len(shown) > 1:
            parts.append(describe("alt_forest_low", int(estimates.argmin())))
    if target is not None and len(shown):
        parts.append(
            lab["alt_target"].format(
                below=int((shown["estimate"] < target).sum()), n=len(shown), target=_fmt_round(target, lab)
            )
        )
    if cats:
        parts.append(lab["alt_categories"].format(bands=_bands_text(cats, lab)))
        count = int(shown["category_uncertain"].sum())
        if count:
            parts.append(lab["alt_uncertain"].format(count=count))
    hidden = [str(i) for i in table.index[table["suppressed"]]]
    if hidden:
        parts.append(
            lab["alt_suppressed_rows"].format(count=len(hidden), k=min_cell, labels=", ".join(hidden))
        )
    return " ".join(parts)


# Trend ------------------------------------------------------------------------------------------------------


def trend_chart(
    trend: pd.DataFrame,
    *,
    campaign: str = "campaign",
    estimate: str = "estimate",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    series: str | None = None,
    n: str = "n",
    suppressed: str = "suppressed",
    min_cell: int = 5,
    level: float = 0.95,
    categories: Sequence[Category] = (),
    target: float | None = None,
    ylim: tuple[float, float] | None = None,
    labels: str | Mapping[str, str] = "id",
    title: str | None = None,
    dpi: int = 150,
) -> Chart:
    """An index across campaigns with CI error bars, one line per ``series`` value (e.g. institution).

    Campaigns are placed in the order they first appear in ``trend`` (sort it chronologically first);
    suppressed points leave a gap and are marked "—".
    """
    lab = resolve_labels(labels)
    _check_columns(trend, (campaign, estimate, ci_low, ci_high, *([series] if series else [])), "trend_chart")
    if trend.empty:
        raise ValueError("trend_chart: no rows to draw")
    cats = tuple(sorted(categories, key=lambda c: c.lower))
    hidden = _suppression_mask(trend, suppressed, n, min_cell)
    frame = pd.DataFrame(
        {
            "series": trend[series].astype(str) if series else lab["index"],
            "campaign": trend[campaign].astype(str),
            "estimate": pd.to_numeric(trend[estimate], errors="raise").astype(float).mask(hidden),
            "ci_low": pd.to_numeric(trend[ci_low], errors="raise").astype(float).mask(hidden),
            "ci_high": pd.to_numeric(trend[ci_high], errors="raise").astype(float).mask(hidden),
            "suppressed": hidden,
        }
    )
    if n in trend.columns:
        frame["n"] = pd.to_numeric(trend[n], errors="coerce")
    frame = frame.reset_index(drop=True)
    campaigns = list(dict.fromkeys(frame["campaign"]))
    series_names = list(dict.fromkeys(frame["series"]))
    position = {c: i for i, c in enumerate(campaigns)}
    title = title or lab["trend_title"]

    if ylim is None:
        points = [*frame["ci_low"].dropna(), *frame["ci_high"].dropna()]
        if target is not None:
            points.append(target)
        points += [c.lower for c in cats if 0 < c.lower < 100]
        ylim = (
            max(0.0, math.floor((min(points) - 2) / 5) * 5) if points else 0.0,
            min(100.0, math.ceil((max(points) + 2) / 5) * 5) if points else 100.0,
        )

    with _LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=(max(5.5, 1.3 + 1.1 * len(campaigns)) + 1.2, 4.2), layout="constrained")
        ax = fig.add_subplot()
        ax.set_ylim(*ylim)
        on_right = blended_transform_factory(ax.transAxes, ax.transData)
        for i, cat in enumerate(cats):
            a, b = max(cat.lower, ylim[0]), min(cat.upper, ylim[1])
            if a >= b:
                continue
            ax.axhspan(a, b, color=BAND_COLOURS[i % len(BAND_COLOURS)], zorder=0, linewidth=0)
            ax.text(
                1.01,
                (a + b) / 2,
                pick(cat.label, lab["lang"], cat.id),
                transform=on_right,
                ha="left",
                va="center",
                fontsize=8.5,
                clip_on=False,
            )
        handles: list[Any] = []
        if target is not None:
            ax.axhline(target, color="#333333", linestyle=(0, (5, 3)), linewidth=1.2, zorder=2.5)
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#333333",
                    linestyle=(0, (5, 3)),
                    label=f"{lab['target']} {_fmt_round(target, lab)}",
                )
            )
        k = len(series_names)
        dodge = 0.08 if k > 1 else 0.0
        for s_i, name in enumerate(series_names):
            rows = frame.loc[frame["series"] == name]
            xs = np.array([position[c] for c in rows["campaign"]]) + (s_i - (k - 1) / 2) * dodge
            colour = OKABE_ITO[s_i % len(OKABE_ITO)] if k > 1 else "black"
            marker = _MARKERS[s_i % len(_MARKERS)]
            est = rows["estimate"].to_numpy()
            ax.errorbar(
                xs,
                est,
                yerr=[est - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - est],
                color=colour,
                marker=marker,
                markersize=6,
                capsize=4,
                elinewidth=1.2,
                linewidth=1.6,
                zorder=3,
                label=name,
            )
            for x, (_, row) in zip(xs, rows.iterrows(), strict=True):
                if row["suppressed"]:
                    ax.text(
                        x,
                        ylim[0] + 0.03 * (ylim[1] - ylim[0]),
                        lab["suppressed"].format(k=min_cell).replace(" (", "\n("),
                        ha="center",
                        va="bottom",
                        color="#404040",
                        style="italic",
                        fontsize=8,
                    )
                elif k == 1 and np.isfinite(row["estimate"]):
                    ax.annotate(
                        fmt_number(row["estimate"], lab),
                        (x, row["ci_high"]),
                        xytext=(0, 4),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=8.5,
                    )
        ax.set_xticks(range(len(campaigns)), labels=[_wrap(c, 14) for c in campaigns])
        ax.set_xlim(-0.5, len(campaigns) - 0.5)
        ax.set_xlabel(lab["campaign"])
        ax.set_ylabel(lab["index"])
        _number_axis(ax.yaxis, lab)
        ax.grid(axis="y", color="white", linewidth=0.8)
        handles = [*ax.get_legend_handles_labels()[0], *handles] if k > 1 else handles
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                marker="|",
                linestyle="none",
                markersize=10,
                label=lab["ci"].format(level=level),
            )
        )
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False)
        ax.set_title(title, loc="left")

        alt = _trend_alt(frame, campaigns, series_names, min_cell, lab)
        table = frame if series else frame.drop(columns="series")
        return _finish(fig, title, alt, table.copy(), dpi)


def _trend_alt(
    frame: pd.DataFrame, campaigns: list[str], series_names: list[str], min_cell: int, lab: Mapping[str, str]
) -> str:
    parts = []
    for name in series_names:
        rows = frame.loc[frame["series"] == name]
        points = []
        for _, row in rows.iterrows():
            if row["suppressed"]:
                points.append(f"{row['campaign']} {lab['suppressed'].format(k=min_cell)}")
            elif np.isfinite(row["estimate"]):
                points.append(
                    lab["alt_trend_point"].format(
                        campaign=row["campaign"],
                        value=fmt_number(row["estimate"], lab),
                        low=fmt_number(row["ci_low"], lab),
                        high=fmt_number(row["ci_high"], lab),
                    )
                )
        head = lab["alt_trend"].format(series=name, n=len(rows), first=campaigns[0], last=campaigns[-1])
        parts.append(head + " " + "; ".join(points) + ".")
    return " ".join(parts)
