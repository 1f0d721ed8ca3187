"""A real server on a loopback port and Debian's Chromium through Playwright; axe-core from npm.

Never downloads a browser: the tests skip (with the reason) when ``chromium`` is not on the PATH, and the axe
checks skip when ``node_modules/axe-core`` is absent (``npm ci`` installs it from package-lock.json).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.extensions import db
from tests.apptools import Survey, build_survey
from tests.conftest import make_app, migrate

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
INSTRUMENTS = ("spi-internal", "spi-external", "spi-expert")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A phone in portrait (iPhone 12–15 CSS pixels).
PHONE = {"width": 390, "height": 844}


@dataclass
class LiveSurvey:
    base_url: str
    app: Flask
    survey: Survey
    tokens: dict[str, list[str]]

    def token(self, group: str) -> str:
        return self.tokens[group].pop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSurvey]:
    """The app on a migrated SQLite file, the three bundled instruments in one open campaign."""
    directory = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{directory / 'browser.db'}"
    migrate(url, directory)
    # CSRF stays on: the browser posts the real forms.
    app = make_app(url, directory)
    with app.app_context():
        questionnaires = {q.group.value: q for q in map(load_bundled_questionnaire, INSTRUMENTS)}
        survey = build_survey(app, questionnaires)
        tokens = {group: survey.issue(4, group=group) for group in questionnaires}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveSurvey(f"http://127.0.0.1:{server.server_port}", app, survey, tokens)
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); no browser is downloaded")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


AXE_MISSING = f"{AXE.relative_to(ROOT)} is missing: run `npm ci` for the accessibility checks"


class Axe:
    """Runs axe-core in a page and fails on any violation (all impacts, WCAG 2.x A/AA and best practices)."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.pages: list[str] = []

    def check(self, page: Any, what: str) -> None:
        if self.source is None:
            return  # test_axe_core_is_installed reports the skip
        # page.evaluate goes through the DevTools protocol, so the page's CSP (script-src 'self') does not
        # block it, unlike add_script_tag, which inlines a <script>.
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        result = page.evaluate("async () => await axe.run(document)")
        assert result["passes"], f"axe-core ran no rule on {page.url}"
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(
                n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                for n in v["nodes"][:5]
            )
            for v in result["violations"]
        ]
        assert not problems, f"axe-core on the {what} ({page.url}):\n" + "\n".join(problems)
        self.pages.append(what)


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe(AXE.read_text(encoding="utf-8") if AXE.is_file() else None)
