"""Issue 17: the results page and the institution report of the demo (``flask demo setup``), in a real
browser, in both languages: the answer the page leads with, the ranking, the question figures of a unit
chosen in the form, the report's PDF downloaded through the page's link, its text read back (pdftotext) and
every page rendered (pdftoppm), and the HTML twin. axe-core checks the pages.

``SAVE_SCREENSHOTS=docs/screenshots`` keeps the pictures for the documentation (``docs/console.md``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.apptools import served
from tests.browser.conftest import Axe
from tests.conftest import make_app, migrate

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
_LOGIN = re.compile(r"e-mail: (\S+)\s+password: (\S+)")
#: What the page and the report say first, per language.
EXPECTED = {
    "id": {
        "page": ("Jawaban singkat", "Peluang mencapai target 74:", "Peringkat unit menurut indeks"),
        "questions": "Jawaban untuk setiap pertanyaan",
        "pdf": ("SURVEI PENILAIAN INTEGRITAS", "Peluang mencapai target 74", "Ringkasan", "Rekomendasi:"),
        "other": ("Chance of reaching", "The answer in brief", "Summary"),
    },
    "en": {
        "page": ("The answer in brief", "Chance of reaching the target 74:", "Units ranked by index"),
        "questions": "Answers to each question",
        "pdf": (
            "INTEGRITY ASSESSMENT SURVEY",
            "Chance of reaching the target 74",
            "Summary",
            "Recommendation:",
        ),
        "other": ("Peluang mencapai", "Jawaban singkat", "Ringkasan"),
    },
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask, str, str]]:
    directory = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{directory / 'demo.db'}"
    migrate(url, directory)
    app = make_app(url, directory)
    output = app.test_cli_runner().invoke(args=["demo", "setup"]).output
    found = _LOGIN.search(output)
    assert found is not None, output
    with served(app) as base:
        yield base, app, found.group(1), found.group(2)


def _target() -> Path | None:
    target = os.environ.get("SAVE_SCREENSHOTS")
    if not target:
        return None
    Path(target).mkdir(parents=True, exist_ok=True)
    return Path(target)


def _keep(page: Any, name: str, element: Any = None) -> None:
    """The window (or one element) as ``<name>.png`` under ``$SAVE_SCREENSHOTS``."""
    target = _target()
    if target is not None:
        (element or page).screenshot(path=str(target / f"{name}.png"))


def _keep_pages(pdf: Path, language: str, pages: tuple[int, ...]) -> None:
    """Pages of the report as ``report-<language>-page-<n>.png`` under ``$SAVE_SCREENSHOTS``."""
    target = _target()
    if target is None:
        return
    for number in pages:
        stem = target / f"report-{language}-page-{number}"
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-singlefile",
                "-f",
                str(number),
                "-l",
                str(number),
                str(pdf),
                str(stem),
            ],
            check=True,
        )


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm, pdftotext) is missing")
@pytest.mark.parametrize("language", ["id", "en"])
def test_results_page_and_report_of_the_demo(
    browser: Any, demo: tuple[str, Flask, str, str], axe: Axe, tmp_path: Path, language: str
) -> None:
    base, _app, email, password = demo
    expected = EXPECTED[language]
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base}/admin/login?lang={language}")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.click('main form button[type="submit"]')
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/campaigns/demo/results/")
    answer = page.locator("section.answer").inner_text()
    for text in expected["page"][:2]:
        assert text in answer, text
    assert expected["page"][2] in page.locator("table.ranking caption").inner_text()
    body = page.locator("main").inner_text()
    for other in expected["other"]:
        assert other not in body, other
    # The lowest-ranked unit first.
    first = page.locator("table.ranking tbody tr").first.inner_text()
    assert first.startswith("1")
    assert "DPMPTSP" in first
    axe.check(page, f"results page ({language})")
    _keep(page, f"console-results-answer-{language}")

    # Answers to each question for one unit, chosen in the form.
    page.select_option("#question-place", "DINKES")
    page.click("section.questions form button[type=submit]")
    page.wait_for_load_state()
    assert "unit=DINKES" in page.url
    questions = page.locator("section.questions")
    assert expected["questions"] in questions.inner_text()
    assert questions.locator("table.question-figures tbody tr").count() > 10
    if language == "id":
        _keep(page, "console-results-questions-id", questions.locator("table.question-figures").first)

    # The report: the PDF through the page's own link, read back and rendered page by page.
    href = (
        page.locator("section.answer a", has_text="PDF")
        .nth(0 if language == "id" else 1)
        .get_attribute("href")
    )
    assert href is not None
    assert f"language={language}" in href
    response = page.request.get(base + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / f"report-{language}.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for phrase in expected["pdf"]:
        assert phrase in text, phrase
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    rendered = sorted(tmp_path.glob("page-*.png"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = re.search(r"Pages:\s+(\d+)", info)
    assert pages is not None
    assert len(rendered) == int(pages.group(1)) >= 6
    _keep_pages(pdf, language, (1, 2, 3, 4, 7) if language == "id" else (1, 2))
    # Every page has ink on it (a blank page would be a layout fault).
    assert all(p.stat().st_size > 3000 for p in rendered), [
        p.name for p in rendered if p.stat().st_size <= 3000
    ]

    # The HTML twin, as a reader opens it.
    html_link = page.locator("section.answer a", has_text="HTML").get_attribute("href")
    assert html_link is not None
    assert f"language={language}" in html_link
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security" in message.text else None,
    )
    page.goto(base + html_link)
    assert expected["pdf"][1] in page.locator("main").inner_text()
    # The inlined stylesheet is applied (the CSP allows it by its hash), as it is in a copy saved from here.
    kicker = page.locator(".cover .kicker").evaluate("e => getComputedStyle(e).textTransform")
    assert kicker == "uppercase"
    head = page.locator("table.data thead th").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert head == "rgb(230, 238, 244)"
    assert not blocked, blocked
    assert page.locator("figure.chart img").count() >= 2
    axe.check(page, f"report ({language})")
    _keep(page, f"report-html-{language}")
    page.close()
