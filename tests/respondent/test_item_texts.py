"""The words the pages add to an item (the "optional" mark, the multi-select hint) appear once, never again
from the bundled questionnaires' own labels."""

from __future__ import annotations

import re

import pytest
from flask import Flask, get_template_attribute
from flask_babel import force_locale

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.respondent.display import QuestionnaireView

ADDED = {"id": ("tidak wajib", "Pilih semua yang sesuai"), "en": ("optional", "Select all that apply")}
# What the bundled files used to say themselves, in either language.
SAID_BY_LABELS = ("tidak wajib", "Pilih semua yang sesuai", "optional", "Choose all that apply")


@pytest.mark.parametrize("ident", ["spi-internal", "spi-external", "spi-expert"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_bundled_items_say_optional_and_select_all_once(app: Flask, ident: str, lang: str) -> None:
    questionnaire = load_bundled_questionnaire(ident)
    view = QuestionnaireView(questionnaire, lang)
    seen_optional = seen_multi = 0
    with app.test_request_context(), force_locale(lang):
        for item in view.items.values():
            macro = get_template_attribute("macros/fields.html", item.macro)
            text = re.sub(r"<[^>]+>", " ", str(macro(item, None, None)))
            for phrase in (*ADDED[lang], *SAID_BY_LABELS):
                assert text.lower().count(phrase.lower()) <= 1, (item.id, phrase, text)
            seen_optional += "(" + ADDED[lang][0] + ")" in text
            seen_multi += ADDED[lang][1] in text
    # The marks themselves are still there: the last page's suggestion box, the multi-selects.
    assert seen_optional >= 1
    assert seen_multi >= 1
