"""Charts: well-formed PNG/SVG, deterministic, suppression honoured, cut-offs from the profile, labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from questionnaires.profile import Category, Dimension
from survey_app.reporting import charts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"

SPI_2024 = (
    Category("rentan", {"id": "Rentan", "en": "Vulnerable"}, 0, 73),
    Category("waspada", {"id": "Waspada", "en": "Watch"}, 73, 78),
    Category("terjaga", {"id": "Terjaga", "en": "Guarded"}, 78, 100),
)
DIMENSIONS = (
    Dimension("transparansi", {"id": "Transparansi", "en": "Transparency"}),
    Dimension("pengadaan", {"id": "Pengelolaan pengadaan barang dan jasa", "en": "Procurement"}),
    Dimension("pengelolaan_sdm", {"id": "Pengelolaan SDM", "en": "HR management"}),
)
UNITS = ["Dinas Pendidikan — Bidang SMP", "Badan Pendapatan Daerah", "RSUD Kota", "Kecamatan Tanah Sareal"]


def svg_text(svg: str) -> str:
    root = ET.fromstring(svg)
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG_NS}text"))


@pytest.fixture
def scores() -> tuple[pd.DataFrame, pd.DataFrame]:
    values = pd.DataFrame(
        [[81.25, 66.5, 74.0], [70.0, 12.345, 88.0], [90.5, 77.75, np.nan], [55.0, 60.0, 65.0]],
        index=UNITS,
        columns=[d.id for d in DIMENSIONS],
    )
    suppressed = pd.DataFrame(False, index=values.index, columns=values.columns)
    suppressed.iloc[1, 1] = True  # holds 12.345, which must never be shown
    return values, suppressed


@pytest.fixture
def results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "estimate": [76.2, 71.3, 80.1, 99.9],
            "ci_low": [73.9, 68.0, 79.2, 98.0],
            "ci_high": [78.5, 72.6, 83.0, 100.0],
            "n": [120, 45, 80, 3],
        },
        index=UNITS,
    )


def check_well_formed(chart: charts.Chart) -> None:
    assert chart.png.startswith(PNG_MAGIC)
    root = ET.fromstring(chart.svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG_NS}title").text == chart.title
    assert root.find(f"{SVG_NS}desc").text == chart.alt_text
    assert chart.alt_text


def test_heatmap_hides_suppressed_values_and_describes_itself(
    scores: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    values, suppressed = scores
    chart = charts.heatmap(values, suppressed=suppressed, dimensions=DIMENSIONS, labels="en", min_cell=5)
    check_well_formed(chart)
    text = svg_text(chart.svg)
    assert "12.3" not in text
    assert "12,3" not in text
    assert "81.2" in text
    assert "—" in text
    assert "n/a" in text
    assert "suppressed, fewer than 5 respondents" in text
    assert "Dinas Pendidikan — Bidang SMP" in text
    assert pd.isna(chart.table.loc["Badan Pendapatan Daerah", "Procurement"])
    assert chart.table.loc["RSUD Kota", "Transparency"] == 90.5
    assert list(chart.table.columns) == ["Transparency", "Procurement", "HR management"]
    assert "Lowest score: Kecamatan Tanah Sareal, Transparency (55.0)" in chart.alt_text
    assert "Highest score: RSUD Kota, Transparency (90.5)" in chart.alt_text
    assert "1 cells suppressed (n < 5)" in chart.alt_text


def test_heatmap_in_bahasa_uses_decimal_comma(scores: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    values, suppressed = scores
    chart = charts.heatmap(values, suppressed=suppressed, dimensions=DIMENSIONS, labels="id")
    text = svg_text(chart.svg)
    assert "81,2" in text
    assert "Pengelolaan SDM" in text
    assert chart.alt_text.startswith("Peta panas skor 3 dimensi untuk 4 unit")


def test_heatmap_rejects_mismatched_mask(scores: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    values, suppressed = scores
    with pytest.raises(ValueError, match="same units"):
        charts.heatmap(values, suppressed=suppressed.iloc[:2])


def test_cell_text_contrast_is_readable_over_the_whole_colour_map() -> None:
    cmap = mpl.colormaps["cividis"]
    worst = min(
        charts.contrast_ratio(cmap(x), mpl.colors.to_rgba(charts.text_colour_for(cmap(x))))
        for x in np.linspace(0, 1, 256)
    )
    assert worst >= 4.5  # WCAG AA for normal text


def test_charts_are_deterministic_and_leave_global_rcparams_alone(
    scores: tuple[pd.DataFrame, pd.DataFrame], results: pd.DataFrame
) -> None:
    values, suppressed = scores
    before = dict(mpl.rcParams)
    with mpl.rc_context({"font.size": 23.0}):
        first = charts.heatmap(values, suppressed=suppressed, dimensions=DIMENSIONS)
        assert mpl.rcParams["font.size"] == 23.0
    second = charts.heatmap(values, suppressed=suppressed, dimensions=DIMENSIONS)
    assert first.png == second.png
    assert first.svg == second.svg
    f1 = charts.forest_plot(results, categories=SPI_2024, target=75)
    f2 = charts.forest_plot(results, categories=SPI_2024, target=75)
    assert (f1.png, f1.svg) == (f2.png, f2.svg)
    assert dict(mpl.rcParams) == before
    assert "<dc:date>" not in first.svg


def test_forest_plot_suppresses_small_cells_and_reads_cut_offs_from_categories(results: pd.DataFrame) -> None:
    chart = charts.forest_plot(results, categories=SPI_2024, target=75, labels="en")
    check_well_formed(chart)
    text = svg_text(chart.svg)
    assert "suppressed: fewer than 5 respondents" in text
    assert "99.9" not in text  # the suppressed unit's number
    assert "Vulnerable" in text
    assert "Guarded" in text
    table = chart.table
    assert bool(table.loc["Kecamatan Tanah Sareal", "suppressed"])
    assert pd.isna(table.loc["Kecamatan Tanah Sareal", "estimate"])
    assert table.loc["Dinas Pendidikan — Bidang SMP", "category"] == "Watch"
    assert bool(table.loc["Dinas Pendidikan — Bidang SMP", "category_uncertain"])  # 73.9–78.5 crosses 78
    assert not table.loc["RSUD Kota", "category_uncertain"]  # 79.2–83.0 within Guarded
    assert "Category cut-offs: Vulnerable < 73, Watch 73–78, Guarded ≥ 78." in chart.alt_text
    assert "1 suppressed (n < 5): Kecamatan Tanah Sareal." in chart.alt_text
    assert "1 of 3 below the target of 75." in chart.alt_text
    assert "Highest: RSUD Kota 80.1 (79.2–83.0)." in chart.alt_text

    acrc = (
        Category("low", {"en": "Low"}, 0, 60),
        Category("mid", {"en": "Middle"}, 60, 80),
        Category("high", {"en": "High"}, 80, 100),
    )
    other = charts.forest_plot(results, categories=acrc, labels="en", institutions=True)
    assert other.table.loc["Badan Pendapatan Daerah", "category"] == "Middle"
    assert not other.table.loc["Dinas Pendidikan — Bidang SMP", "category_uncertain"]
    assert "Low < 60, Middle 60–80, High ≥ 80" in other.alt_text
    assert "4 institutions" in other.alt_text


def test_forest_plot_honours_explicit_flag_and_sort(results: pd.DataFrame) -> None:
    flagged = results.assign(n=[120, 45, 80, 300], suppressed=[False, True, False, False])
    chart = charts.forest_plot(flagged, sort=True, labels="id")
    assert list(chart.table.index[:3]) == [
        "Kecamatan Tanah Sareal",
        "RSUD Kota",
        "Dinas Pendidikan — Bidang SMP",
    ]
    assert bool(chart.table.loc["Badan Pendapatan Daerah", "suppressed"])
    assert "disembunyikan: kurang dari 5 responden" in svg_text(chart.svg)


def test_charts_tell_a_small_cell_from_one_withheld_to_protect_it(results: pd.DataFrame) -> None:
    """Issue 12: a cell withheld as too small and one withheld so that the small one cannot be recomputed
    read differently, on the chart and in its text alternative, in both languages."""
    flagged = results.assign(
        n=[120, 3, 80, 300],
        suppressed=[False, True, True, False],
        suppression=[None, "primary", "complementary", None],
    )
    for lang, small, protecting in (
        ("en", "suppressed: fewer than 5 respondents", "withheld to protect another cell"),
        ("id", "disembunyikan: kurang dari 5 responden", "ditahan untuk melindungi sel lain"),
    ):
        chart = charts.forest_plot(flagged, labels=lang)
        text = svg_text(chart.svg)
        assert small in text, lang
        assert protecting in text, lang
        assert protecting in chart.alt_text, lang
    scores = pd.DataFrame({"d1": [70.0, 60.0], "d2": [65.0, 55.0]}, index=["A", "B"])
    hidden = pd.DataFrame({"d1": [True, True], "d2": [False, False]}, index=["A", "B"])
    withheld = pd.DataFrame({"d1": [False, True], "d2": [False, False]}, index=["A", "B"])
    heat = charts.heatmap(scores, suppressed=hidden, withheld=withheld, labels="en")
    assert "* : withheld to protect another cell" in svg_text(heat.svg)
    assert "— : suppressed, fewer than 5 respondents" in svg_text(heat.svg)
    assert "1 cells withheld to protect another cell." in heat.alt_text


def test_forest_plot_names_missing_columns(results: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"missing column.*ci_high"):
        charts.forest_plot(results.drop(columns="ci_high"))


def test_trend_chart_series_gaps_and_text() -> None:
    trend = pd.DataFrame(
        {
            "campaign": ["2021", "2022", "2023", "2021", "2022", "2023"],
            "who": ["Kota Bogor"] * 3 + ["Nasional"] * 3,
            "estimate": [74.1, 66.6, 76.18, 72.4, 71.94, 70.97],
            "ci_low": [72.0, 60.0, 74.5, 72.2, 71.8, 70.8],
            "ci_high": [76.2, 70.0, 77.9, 72.6, 72.1, 71.1],
            "n": [300, 4, 350, 1000, 1000, 1000],
        }
    )
    chart = charts.trend_chart(trend, series="who", categories=SPI_2024, target=75, labels="en")
    check_well_formed(chart)
    assert "66.6" not in svg_text(chart.svg)
    assert (
        "Kota Bogor over 3 surveys (2021–2023): 2021 74.1 (72.0–76.2); 2022 suppressed (n < 5)"
        in chart.alt_text
    )
    assert "Nasional over 3 surveys" in chart.alt_text
    assert chart.table["suppressed"].tolist() == [False, True, False, False, False, False]

    single = charts.trend_chart(trend[trend["who"] == "Kota Bogor"], labels={"lang": "id", "index": "IPK"})
    assert "76,2" in svg_text(single.svg)
    assert single.alt_text.startswith("Tren IPK selama 3 survei")
    assert "series" not in single.table.columns
