"""The deployment tests drive Debian's Chromium with the browser tests' fixture."""

from tests.browser.conftest import browser  # noqa: F401  (a fixture)
