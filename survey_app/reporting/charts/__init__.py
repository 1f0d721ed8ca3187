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
  never the only carrier of meaning. :func:`text_colour_for` makes the black-or-white choice:

  >>> text_colour_for((1.0, 1.0, 0.0, 1.0)), text_colour_for((0.0, 0.1, 0.3, 1.0))
  ('black', 'white')

One module per chart (:mod:`.heat_map`, :mod:`.forest`, :mod:`.trend`) and :mod:`.common` for what they
share; import from this package, which is the public interface.
"""

from survey_app.reporting.charts.common import (
    BAND_COLOURS,
    OKABE_ITO,
    Chart,
    contrast_ratio,
    text_colour_for,
)
from survey_app.reporting.charts.forest import forest_plot
from survey_app.reporting.charts.heat_map import heatmap
from survey_app.reporting.charts.trend import trend_chart

__all__ = [
    "BAND_COLOURS",
    "OKABE_ITO",
    "Chart",
    "contrast_ratio",
    "forest_plot",
    "heatmap",
    "text_colour_for",
    "trend_chart",
]
