"""The console on a phone (390 CSS px): no page scrolls sideways, wide tables scroll in their own box, and
the heat map keeps a readable size. Pages of the seeded demo (``flask demo setup``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.apptools import served
from tests.browser.conftest import PHONE
from tests.conftest import make_app

pytestmark = pytest.mark.browser

_LOGIN = re.compile(r"e-mail: (\S+)\s+password: (\S+)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, Flask]]:
    """The demo on a fresh SQLite file, served: base URL, admin e-mail and password, the app."""
    directory = tmp_path_factory.mktemp("phone")
    app = make_app(f"sqlite:///{directory / 'demo.db'}", directory)
    result = app.test_cli_runner().invoke(args=["demo", "setup"])
    assert result.exit_code == 0, result.output
    email, password = _LOGIN.findall(result.output)[0]
    with served(app) as base:
        yield base, email, password, app


PAGES = (
    "/admin/",
    "/admin/campaigns/demo",
    "/admin/campaigns/demo/results/",
    "/admin/campaigns/demo/invitations/",
    "/admin/audit/",
    "/admin/institutions/",
    "/admin/questionnaires/",
)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_console_pages_do_not_scroll_sideways_on_a_phone(
    browser: Any, demo: tuple[str, str, str, Flask], lang: str
) -> None:
    base, email, password, _ = demo
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{base}/admin/login?lang={lang}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form.admin-form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    for path in PAGES:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        widths = page.evaluate(
            "() => ({page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth})"
        )
        assert widths["page"] <= widths["view"], f"{path} scrolls sideways on a phone: {widths}"
    page.goto(f"{base}/admin/campaigns/demo/results/")
    page.wait_for_load_state("networkidle")
    # The heat map is shown at a readable width, scrolling inside its own box rather than shrunk to fit.
    heat_map = page.eval_on_selector(".figure-heatmap img", "i => i.getBoundingClientRect().width")
    assert heat_map >= 600
    context.close()
