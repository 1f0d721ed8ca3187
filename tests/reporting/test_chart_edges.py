"""Nothing of a chart is cut off at the image's edges: the legend's long Indonesian labels included."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from questionnaires.bundled import load_bundled_profile
from survey_app.reporting.charts.forest import forest_plot


def _edges_blank(png: bytes) -> bool:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    background = pixels[0, pixels.shape[1] // 2]
    # Two pixels at each side: a glyph cut at the edge may leave the very last column blank.
    edges = (pixels[:, :2], pixels[:, -2:], pixels[-2:, :])
    return all(bool((edge == background).all()) for edge in edges)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_forest_plot_legend_fits_in_the_image(lang: str) -> None:
    results = pd.DataFrame(
        {
            "estimate": [76.0, 71.2, 80.3],
            "ci_low": [73.0, 68.0, 77.9],
            "ci_high": [79.0, 74.5, 82.0],
            "n": [40, 35, 50],
            "suppressed": [False, False, False],
        },
        index=["SETDA", "DINKES", "DISDIK"],
    )
    chart = forest_plot(
        results, categories=load_bundled_profile("spi-2024").categories, target=74, labels=lang
    )
    assert _edges_blank(chart.png)
