"""Fixtures for the web app tests (helpers in ``apptools``)."""

from __future__ import annotations

import pytest
from flask import Flask

from questionnaires.model import Questionnaire
from tests.app.apptools import MINI, Survey, build_survey


@pytest.fixture(scope="session")
def mini() -> Questionnaire:
    return Questionnaire.from_dict(MINI)


@pytest.fixture
def survey(app: Flask, mini: Questionnaire) -> Survey:
    return build_survey(app, {"internal": mini})
