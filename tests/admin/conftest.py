"""Fixtures for the console tests: a campaign of the bundled SPI instruments (internal, external, expert)."""

from __future__ import annotations

import pytest
from flask import Flask

from questionnaires.bundled import load_bundled_questionnaire
from tests.admin.admintools import BUNDLED
from tests.apptools import Survey, build_survey


@pytest.fixture
def spi(app: Flask) -> Survey:
    return build_survey(app, {g: load_bundled_questionnaire(ident) for g, ident in BUNDLED.items()})
