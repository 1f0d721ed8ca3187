"""Synthetic answers (demo data) for questionnaires with the XLSForm features: a cascading select answered
among the options its filter offers, dates and times as the pages store them and within constraints, and
calculations computed as the pages compute them."""

from __future__ import annotations

import re

import numpy as np

from survey_app.domain.synthetic import synthetic_answers
from survey_app.respondent.pages import Plan
from tests.respondent.features_form import features

PROVINCE_OF = {"bogor": "jb", "bandung": "jb", "denpasar": "bl"}


def test_synthetic_answers_follow_filters_constraints_and_calculations() -> None:
    questionnaire = features()
    plan = Plan(questionnaire)
    rng = np.random.default_rng(7)
    seen_cities = set()
    for _ in range(200):
        answers = synthetic_answers(questionnaire, rng)
        assert answers["province"] in ("jb", "bl")
        city = answers.get("city")
        if city is not None and city != "dk":
            assert PROVINCE_OF[city] == answers["province"]
            seen_cities.add(city)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", answers["visit"])
        assert answers["visit"] >= "2020-01-01"
        # The calculation is what the respondent pages would have stored.
        assert answers["days"] == plan.clean(answers)["days"]
        for key, pattern in (("at", r"\d\d:\d\d"), ("moment", r"\d{4}-\d\d-\d\dT\d\d:\d\d")):
            if key in answers:
                assert re.fullmatch(pattern, answers[key])
        # Nothing that cleaning would drop: the answers are what a respondent could have sent.
        assert plan.clean(answers) == answers
    assert seen_cities == set(PROVINCE_OF)
