"""Issue 12: the trend chart and the report's dimension table say why a figure is missing: fewer than
``min_cell`` respondents, withheld to protect another cell, or changed by fewer than ``min_cell`` respondents
since an earlier run (the change gate), in both languages."""

from __future__ import annotations

import dataclasses

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale

from survey_app.admin.report_tables import dimension_table
from survey_app.domain.results.report import build_report
from survey_app.domain.results.runs import latest_run
from survey_app.models.types import utcnow
from survey_app.reporting import charts
from tests.admin.test_results_answer import _demo
from tests.reporting.test_charts import svg_text

REASONS = {
    "en": (
        "suppressed (n < 5)",
        "withheld to protect another cell",
        "changed by fewer than 5 respondents since run #7",
    ),
    "id": (
        "disembunyikan (n < 5)",
        "ditahan untuk melindungi sel lain",
        "berubah kurang dari 5 responden sejak perhitungan #7",
    ),
}


def test_the_trend_chart_tells_the_reasons_apart() -> None:
    trend = pd.DataFrame(
        {
            "campaign": ["2021", "2022", "2023", "2024"],
            "estimate": [74.1, None, None, None],
            "ci_low": [72.0, None, None, None],
            "ci_high": [76.2, None, None, None],
            "n": pd.array([300, pd.NA, pd.NA, pd.NA], dtype="Int64"),
            "suppressed": [False, True, True, True],
            "suppression": [None, "primary", "complementary", "changed"],
            "changed_since": pd.array([pd.NA, pd.NA, pd.NA, 7], dtype="Int64"),
        }
    )
    for lang, (primary, complementary, changed) in REASONS.items():
        chart = charts.trend_chart(trend, labels=lang, min_cell=5)
        assert f"2022 {primary}" in chart.alt_text, chart.alt_text
        assert f"2023 {complementary}" in chart.alt_text
        assert f"2024 {changed}" in chart.alt_text
        drawn = " ".join(svg_text(chart.svg).split())
        assert complementary.split()[0] in drawn
        assert changed.split()[0] in drawn


def test_the_report_s_dimension_table_tells_the_reasons_apart(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    campaign = _demo(runner, client)
    run = latest_run(campaign, published_only=True)
    assert run is not None
    expected = {
        "en": (
            "suppressed (fewer than 5 respondents)",
            "withheld to protect another cell",
            "changed by fewer than 5 respondents since run #7",
        ),
        "id": (
            "disembunyikan (kurang dari 5 responden)",
            "ditahan untuk melindungi sel lain",
            "berubah kurang dari 5 responden sejak perhitungan #7",
        ),
    }
    for lang, texts in expected.items():
        report = build_report(campaign, run, lang, now=utcnow())
        dims = list(report.answer.dimensions)
        assert len(dims) >= 3
        hidden = dict(estimate=None, ci_low=None, ci_high=None, n=None, suppressed=True, change=None)
        dims[0] = dataclasses.replace(dims[0], suppression="primary", **hidden)  # type: ignore[arg-type]
        dims[1] = dataclasses.replace(dims[1], suppression="complementary", **hidden)  # type: ignore[arg-type]
        dims[2] = dataclasses.replace(dims[2], suppression="changed", changed_since=7, **hidden)  # type: ignore[arg-type]
        answer = dataclasses.replace(report.answer, dimensions=tuple(dims))
        with app.test_request_context(), force_locale(lang):
            table = dimension_table(dataclasses.replace(report, answer=answer))
        cells = [row[1] for row in table.rows[:3]]
        assert tuple(cells) == texts, (lang, cells)
