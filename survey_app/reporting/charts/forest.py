"""Forest plot: each unit's (or institution's) index with its CI against the target and the category bands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from questionnaires.profile import Category
from survey_app.reporting.charts.common import (
    MUTED,
    ROW_LABEL_CHARS,
    Chart,
    bands_text,
    by_lower,
    category_of,
    counts,
    finish,
    fmt_round,
    index_range,
    interval_columns,
    interval_text,
    legend_below,
    number_axis,
    require_rows,
    styled_figure,
    suppression_mask,
    target_line,
    visible_bands,
    wrap,
)
from survey_app.reporting.labels import pick, resolve_labels


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
    suppression: str = "suppression",
    sort: bool = False,
    xlim: tuple[float, float] | None = None,
    labels: str | Mapping[str, str] = "id",
    title: str | None = None,
    dpi: int = 150,
) -> Chart:
    """Unit (or institution) indices with their CIs against a target line and the category bands.

    ``results`` is indexed by the unit/institution label and has columns ``estimate``, ``ci_low``, ``ci_high``
    and optionally ``n`` and ``suppressed``. A row is suppressed when its ``suppressed`` flag is true or its
    ``n`` is below ``min_cell``; it is listed as "suppressed: fewer than k respondents" and its numbers are
    not drawn, or, where its ``suppression`` column says ``complementary``, as "withheld to protect another
    cell".
    ``categories`` are the profile's bands, lowest first (``ScoringProfile.categories``). A hollow marker
    means the interval crosses a cut-off, so the category is uncertain. Rows keep their order unless
    ``sort`` (highest index on top).
    """
    lab = resolve_labels(labels)
    require_rows(results, (estimate, ci_low, ci_high), "forest_plot")
    cats = by_lower(categories)
    hidden = suppression_mask(results, suppressed, n, min_cell)
    frame = pd.DataFrame(
        {**interval_columns(results, hidden, estimate, ci_low, ci_high), "suppressed": hidden}
    )
    reason = results[suppression] if suppression in results.columns else pd.Series(None, index=results.index)
    frame["withheld"] = hidden.to_numpy() & (reason.astype(object) == "complementary").to_numpy()
    frame.index = pd.Index([str(i) for i in results.index], name=lab["unit"] if not institutions else "")
    if n in results.columns:
        frame.insert(3, "n", counts(results, n).to_numpy())
    if sort:
        frame = frame.sort_values("estimate", ascending=False, na_position="last", kind="stable")
    _add_categories(frame, cats, lab["lang"])

    shown = frame.loc[~frame["suppressed"]]
    if xlim is None:
        xlim = index_range(shown["ci_low"], shown["ci_high"], target, cats)
    title = title or lab["forest_title"]
    names = list(frame.index)
    nrow = len(names)
    label_width = min(max(len(s) for s in names), ROW_LABEL_CHARS)

    with styled_figure(3.6 + 0.075 * label_width + 2.2, 1.9 + 0.34 * nrow) as (fig, ax):
        ys = np.arange(nrow)[::-1]
        ax.set_ylim(-0.7, nrow - 0.3)
        ax.set_xlim(*xlim)
        on_top = blended_transform_factory(ax.transData, ax.transAxes)
        for cat, a, b, colour in visible_bands(cats, xlim):
            ax.axvspan(a, b, color=colour, zorder=0, linewidth=0)
            ax.text(
                (a + b) / 2,
                1.01,
                wrap(pick(cat.label, lab["lang"], cat.id), 12),
                transform=on_top,
                ha="center",
                va="bottom",
                fontsize=8.5,
                clip_on=False,
            )
        handles: list[Artist] = []
        if target is not None:
            handles.append(target_line(ax, target, lab, vertical=True, zorder=1))
        right_labels = _draw_rows(ax, frame, ys, xlim, min_cell, lab)
        ax.set_yticks(ys, labels=[wrap(s, ROW_LABEL_CHARS) for s in names])
        ax.tick_params(axis="y", length=0)
        twin = ax.twinx()
        twin.set_ylim(ax.get_ylim())
        twin.set_yticks(ys, labels=right_labels)
        twin.tick_params(axis="y", length=0)
        for spine in (*ax.spines.values(), *twin.spines.values()):
            spine.set_visible(False)
        ax.spines["bottom"].set_visible(True)
        number_axis(ax.xaxis, lab)
        ax.set_xlabel(lab["index"] + " — " + lab["ci"].format(level=level))
        handles.append(
            Line2D([], [], color="black", marker="o", markerfacecolor="black", label=lab["certain"])
        )
        if cats:
            handles.append(
                Line2D([], [], color="black", marker="o", markerfacecolor="white", label=lab["uncertain"])
            )
        legend_below(fig, handles)
        ax.set_title(title, loc="left", pad=18 if cats else 8)

        table = frame.copy()
        alt = _forest_alt(table, cats, target, min_cell, institutions, lab)
        return finish(fig, title, alt, table, dpi)


def _add_categories(frame: pd.DataFrame, cats: Sequence[Category], lang: str) -> None:
    """The category of each estimate, and whether its interval reaches into another category."""

    def cat_label(v: float) -> str | None:
        c = category_of(v, cats) if np.isfinite(v) else None
        return pick(c.label, lang, c.id) if c else None

    frame["category"] = [cat_label(v) for v in frame["estimate"]]
    frame["category_uncertain"] = [
        bool(cats) and np.isfinite(lo) and np.isfinite(hi) and category_of(lo, cats) != category_of(hi, cats)
        for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)
    ]


def _draw_rows(
    ax: Axes,
    frame: pd.DataFrame,
    ys: npt.NDArray[np.int_],
    xlim: tuple[float, float],
    min_cell: int,
    lab: Mapping[str, str],
) -> list[str]:
    """Draw each row's interval (hollow marker when its category is uncertain); return the numbers for the
    right-hand axis, "—" for a suppressed row and "n/a" for a missing one."""
    right_labels = []
    for y, (_, row) in zip(ys, frame.iterrows(), strict=True):
        if row["suppressed"]:
            ax.text(
                xlim[0] + 0.01 * (xlim[1] - xlim[0]),
                y,
                lab["withheld"] if row["withheld"] else lab["suppressed_primary"].format(k=min_cell),
                va="center",
                ha="left",
                color=MUTED,
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
        right_labels.append("{value} [{low}; {high}]".format(**interval_text(row, lab)))
    return right_labels


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
        return lab[key].format(label=str(shown.index[position]), **interval_text(shown.iloc[position], lab))

    if len(shown):
        estimates = shown["estimate"].to_numpy(dtype=float)
        parts.append(describe("alt_forest_high", int(estimates.argmax())))
        if len(shown) > 1:
            parts.append(describe("alt_forest_low", int(estimates.argmin())))
    if target is not None and len(shown):
        parts.append(
            lab["alt_target"].format(
                below=int((shown["estimate"] < target).sum()), n=len(shown), target=fmt_round(target, lab)
            )
        )
    if cats:
        parts.append(lab["alt_categories"].format(bands=bands_text(cats, lab)))
        count = int(shown["category_uncertain"].sum())
        if count:
            parts.append(lab["alt_uncertain"].format(count=count))
    hidden = [str(i) for i in table.index[table["suppressed"] & ~table["withheld"]]]
    if hidden:
        parts.append(
            lab["alt_suppressed_rows"].format(count=len(hidden), k=min_cell, labels=", ".join(hidden))
        )
    withheld = [str(i) for i in table.index[table["withheld"]]]
    if withheld:
        parts.append(lab["alt_withheld_rows"].format(count=len(withheld), labels=", ".join(withheld)))
    return " ".join(parts)
