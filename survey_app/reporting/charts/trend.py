"""Trend: an index across campaigns with CI error bars, one line per series (e.g. institution)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from questionnaires.profile import Category
from survey_app.reporting.charts.common import (
    MUTED,
    OKABE_ITO,
    Chart,
    by_lower,
    counts,
    finish,
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
from survey_app.reporting.labels import fmt_number, pick, resolve_labels

#: Each series also has its own marker, so lines stay apart without colour.
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")


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
    suppression: str = "suppression",
    changed_since: str = "changed_since",
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
    suppressed points leave a gap and are marked with the reason: fewer than ``min_cell`` respondents,
    withheld to protect another cell (``suppression`` is ``complementary``), or changed by fewer than
    ``min_cell`` respondents since the run in ``changed_since`` (``suppression`` is ``changed``).
    """
    lab = resolve_labels(labels)
    require_rows(trend, (campaign, estimate, ci_low, ci_high, *([series] if series else [])), "trend_chart")
    cats = by_lower(categories)
    hidden = suppression_mask(trend, suppressed, n, min_cell)
    frame = pd.DataFrame(
        {
            "series": trend[series].astype(str) if series else lab["index"],
            "campaign": trend[campaign].astype(str),
            **interval_columns(trend, hidden, estimate, ci_low, ci_high),
            "suppressed": hidden,
        }
    )
    if n in trend.columns:
        frame["n"] = counts(trend, n)
    frame = frame.reset_index(drop=True)
    reasons = _reasons(trend, hidden, suppression, changed_since, min_cell, lab)
    campaigns = list(dict.fromkeys(frame["campaign"]))
    series_names = list(dict.fromkeys(frame["series"]))
    title = title or lab["trend_title"]
    if ylim is None:
        ylim = index_range(frame["ci_low"], frame["ci_high"], target, cats)

    with styled_figure(max(5.5, 1.3 + 1.1 * len(campaigns)) + 1.2, 4.2) as (fig, ax):
        ax.set_ylim(*ylim)
        on_right = blended_transform_factory(ax.transAxes, ax.transData)
        for cat, a, b, colour in visible_bands(cats, ylim):
            ax.axhspan(a, b, color=colour, zorder=0, linewidth=0)
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
        handles: list[Artist] = []
        if target is not None:
            handles.append(target_line(ax, target, lab, vertical=False, zorder=2.5))
        _draw_series(ax, frame.assign(_reason=reasons), campaigns, series_names, ylim, lab)
        ax.set_xticks(range(len(campaigns)), labels=[wrap(c, 14) for c in campaigns])
        ax.set_xlim(-0.5, len(campaigns) - 0.5)
        ax.set_xlabel(lab["campaign"])
        ax.set_ylabel(lab["index"])
        number_axis(ax.yaxis, lab)
        ax.grid(axis="y", color="white", linewidth=0.8)
        if len(series_names) > 1:
            handles = [*ax.get_legend_handles_labels()[0], *handles]
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
        legend_below(fig, handles)
        ax.set_title(title, loc="left")

        alt = _trend_alt(frame.assign(_reason=reasons), campaigns, series_names, lab)
        table = frame if series else frame.drop(columns="series")
        return finish(fig, title, alt, table.copy(), dpi)


def _draw_series(
    ax: Axes,
    frame: pd.DataFrame,
    campaigns: list[str],
    series_names: list[str],
    ylim: tuple[float, float],
    lab: Mapping[str, str],
) -> None:
    """One labelled error-bar line per series, nudged sideways so that the intervals of one campaign do not
    overlap; a single series is black and carries its numbers, several take Okabe–Ito colours instead."""
    position = {c: i for i, c in enumerate(campaigns)}
    k = len(series_names)
    dodge = 0.08 if k > 1 else 0.0
    for s_i, name in enumerate(series_names):
        rows = frame.loc[frame["series"] == name]
        xs = np.array([position[c] for c in rows["campaign"]]) + (s_i - (k - 1) / 2) * dodge
        colour = OKABE_ITO[s_i % len(OKABE_ITO)] if k > 1 else "black"
        est = rows["estimate"].to_numpy()
        ax.errorbar(
            xs,
            est,
            yerr=[est - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - est],
            color=colour,
            marker=_MARKERS[s_i % len(_MARKERS)],
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
                    wrap(row["_reason"], 18),
                    ha="center",
                    va="bottom",
                    color=MUTED,
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


def _trend_alt(
    frame: pd.DataFrame, campaigns: list[str], series_names: list[str], lab: Mapping[str, str]
) -> str:
    parts = []
    for name in series_names:
        rows = frame.loc[frame["series"] == name]
        points = []
        for _, row in rows.iterrows():
            if row["suppressed"]:
                points.append(f"{row['campaign']} {row['_reason']}")
            elif np.isfinite(row["estimate"]):
                points.append(
                    lab["alt_trend_point"].format(campaign=row["campaign"], **interval_text(row, lab))
                )
        head = lab["alt_trend"].format(series=name, n=len(rows), first=campaigns[0], last=campaigns[-1])
        parts.append(head + " " + "; ".join(points) + ".")
    return " ".join(parts)


def _reasons(
    trend: pd.DataFrame,
    hidden: pd.Series,
    suppression: str,
    changed_since: str,
    min_cell: int,
    lab: Mapping[str, str],
) -> list[str]:
    """Why each hidden point shows no figure (empty for shown points), in the chart's language."""
    none = pd.Series(None, index=trend.index, dtype=object)
    reason = (trend[suppression] if suppression in trend.columns else none).astype(object)
    since = (trend[changed_since] if changed_since in trend.columns else none).astype(object)
    out = []
    for is_hidden, why, run in zip(hidden, reason, since, strict=True):
        if not is_hidden:
            out.append("")
        elif why == "complementary":
            out.append(lab["withheld"])
        elif why == "changed" and run is not None and not pd.isna(run):
            out.append(lab["changed_since"].format(k=min_cell, run=int(run)))
        elif why == "changed":
            out.append(lab["changed"].format(k=min_cell))
        else:
            out.append(lab["suppressed"].format(k=min_cell))
    return out
