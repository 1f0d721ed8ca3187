"""Heat map of dimension scores by unit: each cell coloured on ``cividis`` and labelled with its score."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.patches import Rectangle

from questionnaires.profile import Dimension
from survey_app.reporting.charts.common import (
    MUTED,
    ROW_LABEL_CHARS,
    Chart,
    finish,
    styled_figure,
    text_colour_for,
    wrap,
)
from survey_app.reporting.labels import fmt_number, pick, resolve_labels

_SUPPRESSED_FACE = "#D9D9D9"
_SUPPRESSED_EDGE = "#7F7F7F"


def heatmap(
    scores: pd.DataFrame,
    *,
    suppressed: pd.DataFrame | None = None,
    withheld: pd.DataFrame | None = None,
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
    values are never shown, whatever ``scores`` holds. ``withheld`` (same shape) marks those of them withheld
    to protect another cell (complementary suppression), drawn with "*" instead. Other missing cells read
    "n/a". ``dimensions`` gives column labels (profile dimensions or a mapping id → label); unknown ids are
    shown as they are.
    ``vmin`` defaults to the lowest shown score rounded down to a multiple of 10, so differences between
    units stay visible; the colour bar states the range.
    """
    lab = resolve_labels(labels)
    if scores.empty:
        raise ValueError("heatmap: no units or no dimensions to draw")
    values = scores.apply(pd.to_numeric, errors="raise").astype(float)
    mask = _suppressed_cells(values, suppressed)
    protecting = _suppressed_cells(values, withheld) & mask
    shown = values.mask(mask)
    col_labels = _column_labels(values.columns, dimensions, lab["lang"])
    row_labels = [str(u) for u in values.index]

    finite = shown.to_numpy()[np.isfinite(shown.to_numpy())]
    if vmin is None:
        vmin = math.floor(finite.min() / 10) * 10 if finite.size else 0.0
        vmin = min(vmin, vmax - 10)
    norm = Normalize(vmin=vmin, vmax=vmax)
    colours = mpl.colormaps[cmap].with_extremes(bad="white")
    title = title or lab["heatmap_title"]

    nrow, ncol = values.shape
    wrapped_cols = [wrap(c, 14) for c in col_labels]
    header_lines = max(c.count("\n") + 1 for c in wrapped_cols)
    label_width = min(max(len(r) for r in row_labels), ROW_LABEL_CHARS)
    width = 1.4 + 0.075 * label_width + 1.05 * ncol + 1.0
    height = 1.5 + 0.16 * header_lines + 0.42 * nrow + 0.3

    with styled_figure(width, height) as (fig, ax):
        data = np.ma.masked_invalid(shown.to_numpy())
        image = ax.imshow(data, cmap=colours, norm=norm, aspect="auto", interpolation="nearest")
        _cell_grid(ax, wrapped_cols, [wrap(r, ROW_LABEL_CHARS) for r in row_labels])
        any_missing = _draw_cells(
            ax,
            values.to_numpy(dtype=float),
            mask.to_numpy(dtype=bool),
            colours,
            norm,
            lab,
            protecting.to_numpy(dtype=bool),
        )
        bar = fig.colorbar(image, ax=ax, shrink=min(1.0, 4.0 / max(nrow, 1) + 0.3), aspect=15, pad=0.02)
        bar.set_label(lab["score"])
        notes = []
        if bool((mask & ~protecting).to_numpy().any()):
            notes.append(lab["suppressed_note"].format(k=min_cell))
        if bool(protecting.to_numpy().any()):
            notes.append(lab["withheld_note"])
        if any_missing:
            notes.append(lab["missing_note"])
        if notes:
            ax.set_xlabel("     ".join(notes), loc="left", labelpad=8)
        ax.set_title(title, loc="left", pad=10)

        table = shown.copy()
        table.index = pd.Index(row_labels, name=lab["unit"])
        table.columns = pd.Index(col_labels, name=lab["dimension"])
        alt = _heatmap_alt(
            shown,
            row_labels,
            col_labels,
            (int((mask & ~protecting).to_numpy().sum()), int(protecting.to_numpy().sum())),
            min_cell,
            vmin,
            vmax,
            lab,
        )
        return finish(fig, title, alt, table, dpi)


def _suppressed_cells(values: pd.DataFrame, suppressed: pd.DataFrame | None) -> pd.DataFrame:
    if suppressed is None:
        return pd.DataFrame(False, index=values.index, columns=values.columns)
    if not (suppressed.index.equals(values.index) and suppressed.columns.equals(values.columns)):
        raise ValueError("heatmap: 'suppressed' must have the same units (index) and dimensions as 'scores'")
    return suppressed.fillna(False).astype(bool)


def _column_labels(
    columns: pd.Index, dimensions: Sequence[Dimension] | Mapping[str, str] | None, lang: str
) -> list[str]:
    if isinstance(dimensions, Mapping):
        names = {str(k): str(v) for k, v in dimensions.items()}
    else:
        names = {d.id: pick(d.label, lang, d.id) for d in dimensions or ()}
    return [names.get(str(c), str(c)) for c in columns]


def _cell_grid(ax: Axes, columns: list[str], rows: list[str]) -> None:
    """Dimension names on top, unit names at the left, and white lines between the cells instead of spines."""
    ax.xaxis.tick_top()
    ax.set_xticks(range(len(columns)), labels=columns)
    ax.set_yticks(range(len(rows)), labels=rows)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(-0.5, len(columns), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)


def _draw_cells(
    ax: Axes,
    values: npt.NDArray[np.float64],
    hidden: npt.NDArray[np.bool_],
    colours: Colormap,
    norm: Normalize,
    lab: Mapping[str, str],
    protecting: npt.NDArray[np.bool_] | None = None,
) -> bool:
    """Write each cell's score, "—" over a hatched patch where suppressed ("*" where withheld to protect
    another cell); tell whether a cell read "n/a"."""
    any_missing = False
    nrow, ncol = values.shape
    for i in range(nrow):
        for j in range(ncol):
            if hidden[i, j]:
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
                    "*" if protecting is not None and protecting[i, j] else "—",
                    ha="center",
                    va="center",
                    color="black",
                    fontsize=10,
                    bbox={"facecolor": _SUPPRESSED_FACE, "edgecolor": "none", "pad": 1.0},
                )
            elif not np.isfinite(values[i, j]):
                any_missing = True
                ax.text(j, i, "n/a", ha="center", va="center", color=MUTED)
            else:
                v = values[i, j]
                ax.text(
                    j,
                    i,
                    fmt_number(v, lab),
                    ha="center",
                    va="center",
                    color=text_colour_for(colours(norm(v))),
                )
    return any_missing


def _heatmap_alt(
    shown: pd.DataFrame,
    rows: list[str],
    cols: list[str],
    n_suppressed: tuple[int, int],
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
        for key, flat in (("alt_heatmap_low", np.nanargmin(arr)), ("alt_heatmap_high", np.nanargmax(arr))):
            at = np.unravel_index(flat, arr.shape)
            parts.append(
                lab[key].format(unit=rows[at[0]], dimension=cols[at[1]], value=fmt_number(arr[at], lab))
            )
    if n_suppressed[0]:
        parts.append(lab["alt_suppressed_cells"].format(count=n_suppressed[0], k=min_cell))
    if n_suppressed[1]:
        parts.append(lab["alt_withheld_cells"].format(count=n_suppressed[1]))
    return " ".join(parts)
