"""Issue 17, the institution report: the change of each unit since the previous campaign (PDF and HTML,
both languages, from the shown figures only), and the HTML twin's stylesheet inlined under a
Content-Security-Policy hash so that a saved copy keeps its styling."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import force_locale

from survey_app.admin.report_tables import unit_change_table
from survey_app.domain.results.report import build_report
from survey_app.domain.results.runs import latest_run
from survey_app.models.types import utcnow
from survey_app.reporting.numbers import number
from tests.admin.test_results_answer import _demo, _pdf_text, _text

#: The change table's caption and column heads, per language.
CAPTION = {"id": "Perubahan indeks tiap unit sejak", "en": "Change of each unit's index since"}
HEADS = {
    "id": ("Selang kepercayaan 95% untuk perubahan", "Signifikan"),
    "en": ("95% confidence interval of the change", "Significant"),
}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_report_gives_the_change_of_each_unit(
    runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
) -> None:
    campaign = _demo(runner, client)
    run = latest_run(campaign, published_only=True)
    assert run is not None
    base = f"/admin/campaigns/demo/results/{run.id}"
    for language in ("id", "en"):
        report = build_report(campaign, run, language, now=utcnow())
        changed = [u for u in report.answer.units if u.change is not None]
        assert len(changed) == len(report.answer.units) > 3  # the demo's units are all published twice
        pdf, _pages = _pdf_text(client.get(f"{base}/report.pdf?language={language}").data, tmp_path, language)
        html = _text(client.get(f"{base}/report.html?language={language}").get_data(as_text=True))
        for text in (pdf, html):
            assert CAPTION[language] in text
            for head in HEADS[language]:
                assert head in text, head
        for unit in changed:
            change = unit.change
            assert change is not None
            cells = " ".join(
                (
                    number(change.previous_estimate, 1, language),
                    number(unit.estimate, 1, language),
                    number(change.estimate, 1, language, sign=True),
                    number(change.ci_low, 1, language, sign=True),
                )
            )
            # The HTML row in full; the PDF (whose cells may wrap a long name) from the figures on.
            assert cells in pdf, (language, unit.name, cells)
            verdict = {"id": ("ya", "tidak"), "en": ("yes", "no")}[language][0 if change.significant else 1]
            to = "hingga" if language == "id" else "to"
            row = f"{unit.name} {cells} {to} {number(change.ci_high, 1, language, sign=True)} {verdict}"
            assert row in html, row


def test_a_withheld_unit_has_no_change_in_the_report(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    campaign = _demo(runner, client)
    run = latest_run(campaign, published_only=True)
    assert run is not None
    report = build_report(campaign, run, "en", now=utcnow())
    first = report.answer.units[0]
    assert first.change is not None
    # The unit as the shown tables give a suppressed cell: no estimate, no interval, hence no change.
    hidden = dataclasses.replace(
        first, estimate=None, ci_low=None, ci_high=None, suppressed=True, suppression="primary", change=None
    )
    answer = dataclasses.replace(report.answer, units=(hidden, *report.answer.units[1:]))
    with app.test_request_context(), force_locale("en"):
        table = unit_change_table(dataclasses.replace(report, answer=answer))
    assert table is not None
    row = next(r for r in table.rows if r[0] == first.name)
    assert row[1] == "—"
    assert row[3:] == ("—", "—", "—")
    assert "suppressed (fewer than" in row[2]


def test_the_html_twin_carries_its_styles_allowed_by_their_hash(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    campaign = _demo(runner, client)
    run = latest_run(campaign, published_only=True)
    assert run is not None
    response = client.get(f"/admin/campaigns/demo/results/{run.id}/report.html?language=id")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # No stylesheet link a saved copy would lose: the styles are in the page.
    assert 'rel="stylesheet"' not in html
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert len(styles) == 1
    css = (Path(__file__).parents[2] / "survey_app" / "static" / "report.css").read_text(encoding="utf-8")
    assert styles[0] == css
    assert "table.data thead th" in styles[0]
    digest = base64.b64encode(hashlib.sha256(styles[0].encode("utf-8")).digest()).decode("ascii")
    policy = response.headers["Content-Security-Policy"]
    style_src = next(d for d in policy.split(";") if d.strip().startswith("style-src")).split()
    assert style_src == ["style-src", "'self'", f"'sha256-{digest}'"]
    assert "unsafe-inline" not in policy
    # Every other page keeps the strict policy: no inline style anywhere else.
    other = client.get("/admin/campaigns/demo/results/")
    assert "style-src 'self';" in other.headers["Content-Security-Policy"]
