"""Issue 12, "why" 3, in the institution report: the report (HTML, and the PDF's text) shows the API's figures
cell by cell and withholds what the API withholds, so the LP attack of ``tests/api/test_disclosure_lp.py``
on the API's figures covers the report too. Question shares (not in the API) are compared with what every
output shows (:func:`survey_app.domain.results.rows.shown_tables`), on which the question-level LP of
``test_disclosure_lp.py`` runs."""

from __future__ import annotations

import dataclasses
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from survey_app.admin.report_text import compose
from survey_app.domain.results.report import build_report
from survey_app.domain.results.rows import shown_tables
from survey_app.models.types import utcnow
from survey_app.reporting.report_blocks import Table
from tests.admin.admintools import login, make_user
from tests.admin.test_results import add_unit
from tests.admin.test_results_answer import _pdf_text
from tests.api.apitools import campaign_with_run, get, publish, token_for
from tests.api.test_disclosure_lp import COUNTS
from tests.apptools import Survey

NUMBER = re.compile(r"[−+±-]?\d+(?:[.,]\d+)?")
DECIMAL = re.compile(r"\d+\.\d")


class _Tables(HTMLParser):
    """The report's tables (caption → rows of cell texts) and its cover figure."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.figure = ""
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_figure = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p" and ("class", "figure") in attrs:
            self._in_figure = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1] = (" ".join("".join(self._caption).split()), self.tables[-1][1])
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None
        elif tag == "p":
            self._in_figure = False

    def handle_data(self, data: str) -> None:
        for part in (self._caption, self._cell):
            if part is not None:
                part.append(data)
        if self._in_figure:
            self.figure += data.strip()


def _table(parsed: _Tables, caption: str) -> list[list[str]]:
    found = [rows for text, rows in parsed.tables if text.startswith(caption)]
    assert found, (caption, [t for t, _ in parsed.tables])
    return found[0]


def _figure(text: str) -> float | None:
    """A report cell as a number (``None``: a dash or a withheld text)."""
    match = NUMBER.fullmatch(text.strip().replace("−", "-"))
    return float(match.group(0)) if match else None


def _shares(text: str) -> dict[str, float]:
    """``label: 12.3% (4.5–20.1); ...`` → label → share."""
    out = {}
    for part in text.split("; "):
        label, _, rest = part.rpartition(": ")
        out[label] = float(rest.split("%")[0])
    return out


def test_the_report_shows_the_api_s_figures_and_no_more(
    client: FlaskClient, spi: Survey, tmp_path: Path
) -> None:
    for code in ("INSP", "BAPP", "DISH"):
        add_unit(code, code.title())
    run = campaign_with_run(spi, COUNTS)
    publish(run)
    token = token_for("viewer")
    slug = spi.campaign.slug
    body = get(client, f"/api/v1/campaigns/{slug}/results", token).get_json()
    dims = get(client, f"/api/v1/campaigns/{slug}/results/dimensions", token).get_json()
    by_name = {u["unit_name"]: u for u in body["units"]}
    labels = {d["id"]: d["label"]["en"] for d in dims["dimensions"]}
    combined = {labels[c["dimension"]]: c for c in dims["institution_cells"] if c["group"] == "all"}
    assert any(u["estimate"] is None for u in body["units"])  # the run has withheld units
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    base = f"/admin/campaigns/{slug}/results/{run.id}"
    html = client.get(f"{base}/report.html?language=en").get_data(as_text=True)
    parsed = _Tables()
    parsed.feed(html)

    institution = body["institution"]
    assert _figure(parsed.figure) == institution["estimate"]
    ranking = _table(parsed, "Units ranked by index")
    assert {row[1] for row in ranking[1:]} == set(by_name)
    for row in ranking[1:]:
        unit = by_name[row[1]]
        assert _figure(row[2]) == unit["estimate"], row
        if unit["estimate"] is None:
            assert all(_figure(cell) is None for cell in row[3:]), row
            expected = "fewer than" if unit["suppression"] == "primary" else "protect another cell"
            assert expected in row[2], row
        else:
            low, high = (_figure(v) for v in row[3].split("–"))
            assert (low, high) == (unit["ci_low"], unit["ci_high"]), row
    dimension_rows = _table(parsed, "Dimension scores of the institution")
    assert {row[0] for row in dimension_rows[1:]} == set(combined)
    for row in dimension_rows[1:]:
        cell = combined[row[0]]
        assert _figure(row[1]) == cell["estimate"], row
        if cell["estimate"] is None:
            assert row[3] in ("", "—"), row  # no n of a withheld cell
        else:
            assert int(row[3]) == cell["n"], row
    samples = _table(parsed, "Sample and response")
    institution_groups = {g["group"]: g for g in institution["groups"]}
    for row, group in zip(
        samples[1:], (q.respondent_group for q in spi.campaign.questionnaires), strict=True
    ):
        shown = institution_groups[group]
        assert _figure(row[1]) == (None if shown["n"] is None else float(shown["n"])), row
        if shown["n"] is None:  # nor the answered invitations, rate or open responses that give it back
            assert row[3:] == ["—", "—", "—"], row

    # Question shares: the report's against the shown tables' (the API has none), every answer of every
    # question of the institution and of the units in the high-risk sections.
    tables = shown_tables(spi.campaign, run)
    overall = tables["overall_questions"]
    compared = 0
    for caption, rows in parsed.tables:
        if not rows or rows[0][0] != "Question":
            continue
        for row in rows[1:]:
            answers, n = row[-2], row[-1]
            if "fewer than" in answers or "protect another cell" in answers:
                assert n in ("—", ""), row  # the n of a withheld question is not given
                continue
            if answers == "not published":  # under the profile's minimum per group, not withheld: no shares
                continue
            shares = _shares(answers)
            # Somewhere among the shown shares there is a place whose shares of this question are these.
            candidates = pd.concat([tables["questions"], overall.rename(columns={"institution": "unit"})])
            found = candidates.loc[pd.to_numeric(candidates["n"], errors="coerce") == int(n)]
            blocks = found.groupby(["unit", "group", "item"])["estimate"].apply(
                lambda s: sorted(float(v) for v in s)
            )
            assert sorted(shares.values()) in list(blocks), (caption, row)
            compared += 1
    assert compared > 0

    if shutil.which("pdftotext") is not None:
        # The PDF is made of the same blocks: every figure (a decimal: page numbers aside) in its text is
        # one the HTML shows too.
        pdf, _pages = _pdf_text(client.get(f"{base}/report.pdf?language=en").data, tmp_path, "report")
        text = re.sub(r"<[^>]+>", " ", html)
        in_html = set(DECIMAL.findall(text.replace("−", "-")))
        in_pdf = set(DECIMAL.findall(pdf.replace("−", "-")))
        assert in_pdf, pdf[:200]
        assert in_pdf <= in_html, sorted(in_pdf - in_html)[:20]


def test_a_withheld_group_s_counts_of_answers_are_not_in_the_report(app: Flask, spi: Survey) -> None:
    """Where the institution's group cell is withheld (``respondents`` is ``None``), the sample table does
    not give its n back through the invitations answered, the response rate or the open-link responses."""
    for code in ("INSP", "BAPP", "DISH"):
        add_unit(code, code.title())
    run = campaign_with_run(spi, COUNTS)
    publish(run)
    report = build_report(spi.campaign, run, "en", now=utcnow())
    withheld = tuple(
        dataclasses.replace(s, respondents=None, answered_invitations=3, open_responses=3, invited=40)
        for s in report.samples
    )
    with app.test_request_context(), force_locale("en"):
        blocks = compose(dataclasses.replace(report, samples=withheld), {})
    table = next(b for b in blocks if isinstance(b, Table) and b.caption == "Sample and response")
    for row in table.rows:
        assert row[1:] == ("—", "40", "—", "—", "—"), row
