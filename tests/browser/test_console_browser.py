"""An administrator runs a campaign in a real browser: log in, create and open a campaign, issue
invitations, responses arrive, compute results, read the table and charts, download them.

The responses arrive as synthetic answers written to the database (a real respondent in the browser is
``test_respondent_browser.py``); everything the administrator does goes through the pages. Each console page
on the way is checked with axe-core.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.domain.institutions import import_units
from survey_app.domain.questionnaires import store_questionnaire
from survey_app.extensions import db
from survey_app.models import Campaign, Invitation
from tests.admin.admintools import PASSWORD, add_campaign_responses, make_user
from tests.apptools import served
from tests.browser.conftest import Axe
from tests.conftest import make_app, migrate

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
UNITS = (
    "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
    "KOTA,Pemerintah Kota Uji,SETDA,Sekretariat Daerah,,120\n"
    "KOTA,Pemerintah Kota Uji,DINKES,Dinas Kesehatan,SETDA,300\n"
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """A migrated SQLite database with the bundled questionnaires, one institution and an admin; served."""
    directory = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{directory / 'console.db'}"
    migrate(url, directory)
    app = make_app(url, directory)
    with app.app_context():
        for ident in ("spi-internal", "spi-external", "spi-expert"):
            store_questionnaire(load_bundled_questionnaire(ident), date.today())
        import_units(io.StringIO(UNITS))
        db.session.commit()
        make_user("admin")
    with served(app) as base:
        yield base, app


def _select_by_text(page: Any, selector: str, text: str) -> None:
    value = page.eval_on_selector(
        selector,
        "(el, text) => Array.from(el.options).find(o => o.textContent.includes(text)).value",
        text,
    )
    page.select_option(selector, value)


def test_admin_runs_a_campaign_from_creation_to_downloaded_results(
    browser: Any, console: tuple[str, Flask], axe: Axe
) -> None:
    base, app = console
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    page = context.new_page()

    page.goto(f"{base}/admin/login?lang=en")
    axe.check(page, "login page")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.click("form.admin-form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    # Create the campaign; a first attempt without any questionnaire is refused with the reason.
    page.click("text=New campaign")
    page.wait_for_url(f"{base}/admin/campaigns/new")
    axe.check(page, "new campaign form")
    page.fill("#slug", "kota-2026")
    page.fill("#title", "SPI Kota Uji 2026")
    page.fill("#period", "2026")
    page.fill("#closes_on", (date.today() + timedelta(days=30)).isoformat())
    page.check("#allow_open")
    page.click("form.admin-form button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    assert "Choose a questionnaire for at least one group." in page.inner_text(".error-summary")
    axe.check(page, "new campaign form with errors")
    _select_by_text(page, "#version_internal", "spi-internal")
    _select_by_text(page, "#version_external", "spi-external")
    page.click("form.admin-form button[type=submit]")
    page.wait_for_url(f"{base}/admin/campaigns/kota-2026")
    assert "draft" in page.inner_text("main")

    page.click("text=Open the campaign")
    page.wait_for_url(f"{base}/admin/campaigns/kota-2026")
    assert "open: taking answers" in page.inner_text("main")
    axe.check(page, "campaign page")

    # Invitations, downloaded as CSV: the only time the links exist.
    page.click("main >> text=Invitations")
    page.select_option("#issue-group", "internal")
    page.select_option("#issue-unit", "SETDA")
    page.fill("#issue-count", "3")
    axe.check(page, "invitations page")
    with page.expect_download() as download:
        page.click("text=Issue and download")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert len(rows) == 3
    assert all(row["link"].startswith(f"{base}/r/") for row in rows)

    # Responses arrive (one of the invitations is used by a respondent, others answer without one).
    with app.app_context():
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "kota-2026"))
        assert campaign is not None
        add_campaign_responses(campaign, {"SETDA": 12, "DINKES": 9})
        invitations = db.session.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id))
        assert {i.state for i in invitations} == {"issued"}
    page.goto(f"{base}/admin/campaigns/kota-2026")
    assert "42" in page.inner_text("tfoot")  # 2 groups × (12 + 9) responses in the monitoring table

    # Compute and read the results.
    page.click("main >> text=Results")
    page.click("text=Compute results now")
    page.wait_for_selector("text=Index per unit", timeout=60_000)
    table = page.inner_text("main table")
    assert "SETDA" in table
    assert "DINKES" in table
    # The heat map and the forest plot (and the trend, where there is one), rendered on the server, with
    # a text alternative each.
    page.wait_for_load_state("networkidle")
    charts = page.eval_on_selector_all(
        "main img", "(imgs) => imgs.map(i => ({alt: i.alt, loaded: i.complete && i.naturalWidth > 0}))"
    )
    assert len(charts) >= 2
    assert all(chart["loaded"] and len(chart["alt"]) > 20 for chart in charts), charts
    axe.check(page, "results page")
    with page.expect_download() as download:
        page.click("main >> text=CSV (zip with metadata)")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
    assert any(name.endswith(".csv") for name in names)
    context.close()
