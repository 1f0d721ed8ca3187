"""The sample pages on a phone (390 CSS px): the monitoring of a drawn sample (one block per unit × group,
each figure under its label), the plan and the calibration page never scroll sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.domain.accounts import create_user
from survey_app.domain.frames import draw_campaign, sample_plan, upload_frame
from survey_app.extensions import db
from tests.admin.test_frames import MAPPING, frame_csv
from tests.apptools import build_survey, served
from tests.browser.conftest import INSTRUMENTS, PHONE
from tests.conftest import make_app, migrate

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    directory = tmp_path_factory.mktemp("sample-phone")
    url = f"sqlite:///{directory / 'sample.db'}"
    migrate(url, directory)
    app = make_app(url, directory)
    with app.app_context():
        questionnaires = {q.group.value: q for q in map(load_bundled_questionnaire, INSTRUMENTS)}
        survey = build_survey(app, questionnaires)
        upload_frame(survey.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
        plan = sample_plan(survey.campaign, moe=0.1, response_rate=0.5)
        draw_campaign(
            survey.campaign, plan, seed=1, user=None, settings={"moe": 0.1, "response_rate": 0.5, "p": 0.5}
        )
        create_user("boss@example.org", PASSWORD, "admin", None)
        db.session.commit()
        slug = survey.campaign.slug
    with served(app) as base:
        yield f"{base}|{slug}", app


@pytest.mark.parametrize("lang", ["id", "en"])
def test_sample_pages_do_not_scroll_sideways_on_a_phone(
    browser: Any, drawn: tuple[str, Flask], lang: str
) -> None:
    base, slug = drawn[0].split("|")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{base}/admin/login?lang={lang}")
    page.fill("#email", "boss@example.org")
    page.fill("#password", PASSWORD)
    page.click("form.admin-form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    for path in (
        f"/admin/campaigns/{slug}",
        f"/admin/campaigns/{slug}/frames/plan",
        f"/admin/campaigns/{slug}/calibration/",
        f"/admin/campaigns/{slug}/frames/",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        widths = page.evaluate(
            "() => ({page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth})"
        )
        assert widths["page"] <= widths["view"], f"{path} scrolls sideways on a phone: {widths}"
    page.goto(f"{base}/admin/campaigns/{slug}")
    # Each unit × group is a block as wide as the screen at most, its figures under their labels.
    rows = page.eval_on_selector_all(
        "#sample-monitoring tbody tr", "rs => rs.map(r => r.getBoundingClientRect().width)"
    )
    assert len(rows) == 3
    assert all(w <= PHONE["width"] for w in rows)
    label = page.eval_on_selector(
        "#sample-monitoring tbody td[data-label]", "td => getComputedStyle(td, '::before').content"
    )
    assert label.strip('"')
    context.close()
