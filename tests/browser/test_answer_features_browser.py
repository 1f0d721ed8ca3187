"""In Chromium: a cascading select offers the cities of the province chosen before, a date is picked with
the browser's date input and stored as ISO text, and the pages pass axe-core."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from survey_app.extensions import db
from survey_app.models import Response
from tests.apptools import build_survey
from tests.browser.conftest import PHONE, Axe
from tests.conftest import make_app, migrate
from tests.respondent.features_form import features

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_features(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, str]]:
    directory = tmp_path_factory.mktemp("features")
    url = f"sqlite:///{directory / 'features.db'}"
    migrate(url, directory)
    app = make_app(url, directory)
    with app.app_context():
        token = build_survey(app, {"internal": features()}).token()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app, token
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


def _next(page: Any) -> None:
    page.locator('main form button[name="action"][value="next"]').click()
    page.wait_for_load_state()


def test_cascading_select_and_date_input(browser: Any, live_features: tuple[str, Any, str], axe: Axe) -> None:
    base_url, app, token = live_features
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{base_url}/r/{token}?lang=en")
        page.check('input[name="consent"]')
        page.locator("main form button").first.click()
        page.wait_for_load_state()
        assert page.locator('input[name="city"]').count() == 0
        page.check('input[name="province"][value="bl"]')
        _next(page)

        assert "City in Bali?" in page.inner_text("main")
        offered = page.eval_on_selector_all('input[name="city"]', "els => els.map(e => e.value)")
        assert offered == ["denpasar", "dk"]
        axe.check(page, "cascading select")
        page.check('input[name="city"][value="denpasar"]')
        _next(page)

        date_input = page.locator('input[name="visit"]')
        assert date_input.get_attribute("type") == "date"
        # Chromium's date input takes and gives ISO text, whatever the locale shows.
        date_input.fill("2021-03-04")
        page.locator('input[name="at"]').fill("08:15")
        axe.check(page, "date and time inputs")
        _next(page)

        assert "Why 428 days, in Denpasar?" in page.inner_text("main")
        _next(page)
        assert "/thanks" in page.url or page.locator("main h1").count() == 1
    finally:
        context.close()
    with app.app_context():
        (response,) = db.session.scalars(select(Response))
        assert response.answers["visit"] == "2021-03-04"
        assert response.answers["at"] == "08:15"
        assert response.answers["city"] == "denpasar"
        assert response.answers["days"] == "428"
