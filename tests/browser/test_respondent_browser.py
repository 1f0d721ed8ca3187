"""A respondent on a phone-sized Chromium: skip logic, a validation error, resume elsewhere, the spent link.

Every page the respondent meets on the way (consent, a section, a page with errors, thanks, 410) is checked
with axe-core.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Response
from tests.browser.conftest import AXE, AXE_MISSING, PHONE, Axe, LiveSurvey

pytestmark = pytest.mark.browser

#: Options a respondent does not pick unless told to (so the default path skips the follow-ups).
SPECIAL = {"dk", "na"}

_FIELDS_JS = """() => Array.from(
    document.querySelectorAll('main form input:not([type=hidden]), main form textarea'))
    .map(e => ({name: e.name, type: e.type, value: e.value, checked: e.checked}))"""


def _fields(page: Any) -> dict[str, list[dict[str, Any]]]:
    fields: dict[str, list[dict[str, Any]]] = {}
    for field in page.evaluate(_FIELDS_JS):
        fields.setdefault(field["name"], []).append(field)
    return fields


def _answer(page: Any, choices: Mapping[str, str], leave_open: set[str] = frozenset()) -> dict[str, str]:
    """Answer every field on the page as a person would (click, type); returns name → value given."""
    given: dict[str, str] = {}
    for name, controls in _fields(page).items():
        if name in leave_open:
            continue
        kind = controls[0]["type"]
        if kind in ("radio", "checkbox"):
            values = [c["value"] for c in controls]
            wanted = choices.get(name) or (
                "tidak" if "tidak" in values else next(v for v in values if v not in SPECIAL)
            )
            page.check(f'input[name="{name}"][value="{wanted}"]')
        else:
            wanted = choices.get(
                name, "3" if page.get_attribute(f'[name="{name}"]', "inputmode") else "Pelayanan cepat"
            )
            page.fill(f'[name="{name}"]', wanted)
        given[name] = wanted
    return given


def _submit(page: Any, action: str = "next") -> None:
    button = page.locator(f'main form button[name="action"][value="{action}"]')
    if button.count() == 0:  # the consent page has a single, unnamed button
        button = page.locator("main form button.primary")
    with page.expect_navigation():
        button.click()


def _assert_kept(page: Any, given: Mapping[str, str]) -> None:
    fields = _fields(page)
    for name, value in given.items():
        controls = fields[name]
        if controls[0]["type"] in ("radio", "checkbox"):
            assert [c["value"] for c in controls if c["checked"]] == [value], f"{name} lost on {page.url}"
        else:
            assert controls[0]["value"] == value, f"{name} lost on {page.url}"


def _finish(page: Any, seen: set[str], choices: Mapping[str, str] = {}, limit: int = 40) -> None:
    for _ in range(limit):
        if page.url.endswith("/thanks"):
            return
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
        seen |= set(_answer(page, choices))
        _submit(page)
    raise AssertionError(f"no thanks page after {limit} pages; at {page.url}")


def test_spi_internal_on_a_phone_in_bahasa_indonesia(browser: Any, live: LiveSurvey, axe: Axe) -> None:
    token = live.token("internal")
    link = f"{live.base_url}/r/{token}"
    seen: set[str] = set()
    # Skip logic: 'ya' opens the follow-ups of gratification; 'tidak' keeps bribery's and extortion's shut.
    choices = {"it_gratifikasi": "ya", "it_suap": "tidak", "it_pungli": "tidak"}

    phone = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(link)
    assert page.get_attribute("html", "lang") == "id"
    axe.check(page, "consent page")
    _submit(page)  # without consent
    assert page.locator(".error-summary a[href='#consent']").count() == 1
    axe.check(page, "consent page with an error")
    page.check("#consent")
    _submit(page)

    # First section: leave one question open; every other answer must come back with the error.
    axe.check(page, "section page")
    first = _fields(page)
    left_open = list(first)[-1]
    given = _answer(page, choices, leave_open={left_open})
    _submit(page)
    assert page.locator(".error-summary").is_visible()
    summary_link = page.locator(".error-summary a")
    assert summary_link.count() == 1
    assert summary_link.get_attribute("href") == f"#{left_open}"
    assert page.locator(f"#{left_open}").count() == 1, "the error summary links to a missing element"
    _assert_kept(page, given)
    axe.check(page, "section page with a validation error")
    seen |= set(given) | set(_answer(page, choices, leave_open=set(given)))
    _submit(page)

    # Two more pages, then the phone is gone (context closed: cookies and session lost).
    for _ in range(2):
        seen |= set(_answer(page, choices))
        _submit(page)
    stopped_at = page.locator("h1").inner_text()
    code = page.locator(".resume-code").inner_text()  # shown below every page
    last_given = _answer(page, choices)  # answered but never sent: the draft only keeps sent pages
    phone.close()

    # Another device: the link alone asks for the resume code (and shows no answer); with the code it
    # resumes where the respondent stopped, earlier pages intact.
    laptop = browser.new_context(viewport=PHONE, locale="id-ID")
    page = laptop.new_page()
    page.goto(link)
    page.check("#consent")
    _submit(page)
    assert page.locator("#code").count() == 1
    axe.check(page, "resume code page")
    page.fill("#code", code.lower())
    _submit(page)
    assert "resumed=1" in page.url
    assert page.locator(".notice[role=status]").count() == 1
    assert page.locator("h1").inner_text() == stopped_at
    assert all(not c["checked"] for name in last_given for c in _fields(page)[name] if c["type"] == "radio")
    _submit(page, "back")
    kept = _fields_checked(page)
    assert kept
    assert all(name in seen for name in kept)
    _submit(page)
    _finish(page, seen, choices)
    axe.check(page, "thanks page")

    assert {"it_gratifikasi_bentuk", "it_gratifikasi_kekerapan"} <= seen
    assert not {"it_suap_kekerapan", "it_pungli_bentuk", "it_pungli_kekerapan"} & seen

    # A spent link shows the consent page like any other, and says it was used once the respondent acts.
    again = page.goto(link)
    assert again is not None
    assert again.status == 200
    page.check("#consent")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        _submit(page)
    assert posted.value.status == 410
    axe.check(page, "410 page of a spent link")
    laptop.close()

    with live.app.app_context():
        (response,) = db.session.scalars(select(Response).where(Response.respondent_group == "internal"))
        assert response.answers["it_gratifikasi"] == "ya"
        assert response.answers["it_suap"] == "tidak"
        assert left_open in response.answers
        assert "it_suap_kekerapan" not in response.answers


def _fields_checked(page: Any) -> dict[str, list[str]]:
    return {
        name: [c["value"] for c in controls if c["checked"]]
        for name, controls in _fields(page).items()
        if any(c["checked"] for c in controls)
    }


@pytest.mark.parametrize("group", ["external", "expert"])
def test_external_and_expert_in_english(browser: Any, live: LiveSurvey, axe: Axe, group: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live.base_url}/r/{live.token(group)}")
    assert page.get_attribute("html", "lang") == "en"
    page.check("#consent")
    _submit(page)
    axe.check(page, f"first section page of spi-{group} in English")
    seen: set[str] = set()
    _finish(page, seen)
    assert page.get_attribute("html", "lang") == "en"
    context.close()
    with live.app.app_context():
        assert len(db.session.scalars(select(Response).where(Response.respondent_group == group)).all()) == 1


def test_axe_core_is_installed() -> None:
    """Reports (as a skip) when the accessibility checks above could not run."""
    if not AXE.is_file():
        pytest.skip(AXE_MISSING)
