"""Synthetic responses for the demo and the console tests: plausible, seeded, and true to the skip logic.

Each response walks the questionnaire in order and answers only what :func:`is_relevant` shows given the
answers so far (sections and items), as the respondent flow does; numbers respect bounds and constraints.
``tilt`` (0–1) moves a unit's answers towards the options worth more, so units differ in the demo.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from questionnaires.expressions import is_relevant, satisfies_constraint
from questionnaires.model import Direction, Item, ItemType, Questionnaire
from survey_app.models import Campaign, Response
from survey_app.respondent.pages import calculate, offered


def _choose_option(
    item: Item,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    rng: np.random.Generator,
    tilt: float,
) -> str | None:
    scale = questionnaire.scale_of(item)
    assert scale is not None  # validated questionnaires: select items have a scale
    # A cascading select offers only the options its filter passes (and "don't know" always).
    options = [
        o for o in scale.options if o.missing is not None or offered(item, o.code, answers, o.attributes)
    ]
    if not options:
        return None
    scored = [o for o in options if o.missing is None and o.value is not None]
    plain = [o for o in options if o.missing is None]
    draw = rng.random()
    if not scored and plain and draw >= 0.06:
        # An unscored list (a province, a service): any option alike.
        return str(plain[int(rng.integers(len(plain)))].code)
    if draw < 0.06 or not scored:
        missing = [o for o in options if o.missing is not None] or list(options)
        return str(missing[int(rng.integers(len(missing)))].code)
    values = np.array([o.value for o in scored], dtype=float)
    if item.scoring is not None and item.scoring.direction is Direction.RISK:
        values = -values
    span = float(values.max() - values.min()) or 1.0
    # Options worth more integrity are likelier with a higher tilt (a softmax over the option values).
    weights = np.exp((tilt - 0.5) * 6 * (values - values.min()) / span)
    return str(scored[int(rng.choice(len(scored), p=weights / weights.sum()))].code)


def _answer(
    item: Item,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    rng: np.random.Generator,
    tilt: float,
) -> Any:
    if item.type is ItemType.SELECT_ONE:
        return _choose_option(item, questionnaire, answers, rng, tilt)
    if item.type is ItemType.SELECT_MULTIPLE:
        scale = questionnaire.scale_of(item)
        assert scale is not None
        codes = [
            o.code
            for o in scale.options
            if o.missing is None and offered(item, o.code, answers, o.attributes)
        ]
        if not codes:
            return None
        size = int(rng.integers(1, min(3, len(codes)) + 1))
        return [str(c) for c in rng.choice(codes, size=size, replace=False)]
    if item.type in (ItemType.INTEGER, ItemType.DECIMAL):
        low = item.minimum if item.minimum is not None else 0
        high = item.maximum if item.maximum is not None else low + 20
        for _ in range(20):
            value: int | float = (
                int(rng.integers(int(low), int(high) + 1))
                if item.type is ItemType.INTEGER
                else round(float(rng.uniform(low, high)), 2)
            )
            if satisfies_constraint(item.constraint, value, answers):
                return value
        return None
    if item.type in (ItemType.TEXT, ItemType.LONG_TEXT):
        return "contoh jawaban" if item.required or rng.random() < 0.2 else None
    if item.type in _MOMENTS:
        for _ in range(20):
            moment = _EPOCH + timedelta(
                days=int(rng.integers(0, 365)), minutes=int(rng.integers(8 * 60, 16 * 60))
            )
            text = _MOMENTS[item.type](moment)
            if satisfies_constraint(item.constraint, text, answers):
                return text
        return None
    return None


_EPOCH = datetime(2024, 1, 1)
#: Stored as the respondent pages store them: ISO text.
_MOMENTS = {
    ItemType.DATE: lambda m: m.date().isoformat(),
    ItemType.TIME: lambda m: m.strftime("%H:%M"),
    ItemType.DATETIME: lambda m: m.strftime("%Y-%m-%dT%H:%M"),
}


def synthetic_answers(
    questionnaire: Questionnaire, rng: np.random.Generator, tilt: float = 0.6
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for section in questionnaire.sections:
        if not is_relevant(section.relevant, answers):
            continue
        for item in section.items:
            if not item.type.stores_answer or not is_relevant(item.relevant, answers):
                continue
            if item.type is ItemType.CALCULATE:
                computed = calculate(item, answers)
                if computed is not None:
                    answers[item.id] = computed
                continue
            value = _answer(item, questionnaire, answers, rng, tilt)
            if value is not None:
                answers[item.id] = value
    return answers


def add_responses(
    campaign: Campaign,
    version_id: int,
    questionnaire: Questionnaire,
    unit_id: int,
    count: int,
    rng: np.random.Generator,
    *,
    tilt: float = 0.6,
    submitted_on: date,
    open_access: bool = False,
    coached: float = 0.0,
) -> list[Response]:
    """``count`` synthetic responses of one unit and group, added to the session (not committed).

    A ``coached`` share of them repeat one answer pattern quickly, as respondents drilled by their
    institution would, so the data-quality checks have something to flag in the demo.
    """
    from survey_app.extensions import db

    drilled = synthetic_answers(questionnaire, rng, 0.95)
    rows = [
        Response(
            id=uuid.UUID(bytes=rng.bytes(16), version=4),
            campaign_id=campaign.id,
            questionnaire_version_id=version_id,
            respondent_group=questionnaire.group.value,
            unit_id=unit_id,
            stratum=None,
            weight=1.0,
            open_access=open_access,
            answers=dict(drilled) if copy else synthetic_answers(questionnaire, rng, tilt),
            duration_seconds=int(rng.integers(40, 90)) if copy else int(rng.integers(240, 1500)),
            submitted_on=submitted_on,
        )
        for copy in rng.random(count) < coached
    ]
    db.session.add_all(rows)
    return rows
