"""Every bundled instrument can be completed through the pages, in Bahasa Indonesia and in English."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from questionnaires.bundled import load_bundled_questionnaire
from questionnaires.model import ItemType, Questionnaire
from survey_app.extensions import db
from survey_app.models import Response
from tests.apptools import build_survey, csrf_of

_NAMES = re.compile(r'<(?:input|textarea)[^>]*name="([^"]+)"')


def _answer(questionnaire: Questionnaire, names: set[str], say_yes: bool) -> dict[str, object]:
    """An answer for every field shown: 'ya' where possible (reaching the follow-ups), else option 1."""
    data: dict[str, object] = {}
    for name in names - {"csrf_token"}:
        item = questionnaire.item(name)
        scale = questionnaire.scale_of(item)
        if scale is not None:
            codes = [o.code for o in scale.options if o.missing is None]
            pick = "ya" if say_yes and "ya" in codes else codes[0]
            data[name] = [pick] if item.type is ItemType.SELECT_MULTIPLE else pick
        elif item.type.is_number:
            data[name] = str(int(item.minimum or 1))
        else:
            data[name] = "Pelayanan cepat"
    return data


@pytest.mark.parametrize("ident", ["spi-internal", "spi-external", "spi-expert"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_complete_bundled_instrument(app: Flask, ident: str, lang: str) -> None:
    questionnaire = load_bundled_questionnaire(ident)
    survey = build_survey(app, {questionnaire.group.value: questionnaire})
    token = survey.token(group=questionnaire.group.value)
    client = app.test_client()
    intro = client.get(f"/r/{token}?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{lang}">' in intro
    reply = client.post(f"/r/{token}", data={"csrf_token": csrf_of(intro), "consent": "y"})
    url = reply.headers["Location"]
    seen = 0
    while "/thanks" not in url:
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert html.count("<fieldset") == html.count("<legend")
        names = set(_NAMES.findall(html))
        reply = client.post(
            url, data={"csrf_token": csrf_of(html), "action": "next", **_answer(questionnaire, names, True)}
        )
        assert reply.status_code == 303, reply.get_data(as_text=True)[:2000]
        url = reply.headers["Location"]
        seen += 1
        assert seen < 60
    (response,) = db.session.scalars(select(Response))
    # Every follow-up was reached (all triggers answered 'ya'), so every item that stores an answer has one,
    # except hidden sections.
    stored = set(response.answers)
    expected = {i.id for i in questionnaire.iter_items() if i.type.stores_answer}
    assert stored <= expected
    assert {i.id for i in questionnaire.iter_items() if i.relevant and i.type.stores_answer} & stored
