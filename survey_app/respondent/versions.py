"""Questionnaire versions parsed once per process and kept by content hash (they never change).

A page request then needs only the version's hash from the database, never its canonical JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm

from questionnaires.model import Questionnaire
from survey_app.respondent.display import QuestionnaireView
from survey_app.respondent.pages import Page, Plan
from survey_app.respondent.questions import question_type


class LoadedVersion:
    def __init__(self, content_hash: str, questionnaire: Questionnaire) -> None:
        self.content_hash = content_hash
        self.questionnaire = questionnaire
        self.plan = Plan(questionnaire)
        self._views: dict[str, QuestionnaireView] = {}
        self._forms: dict[str, type[FlaskForm]] = {}

    def view(self, lang: str) -> QuestionnaireView:
        view = self._views.get(lang)
        if view is None:
            view = self._views[lang] = QuestionnaireView(self.questionnaire, lang)
        return view

    def form_class(self, page: Page) -> type[FlaskForm]:
        """A FlaskForm class, one field per item of ``page`` (attribute ``q_<id>``, HTML name ``<id>``)."""
        cls = self._forms.get(page.key)
        if cls is None:
            fields: dict[str, Any] = {}
            for item in page.items:
                field = question_type(item).field(item, self.questionnaire)
                if field is not None:
                    fields[f"q_{item.id}"] = field
            cls = self._forms[page.key] = type(f"PageForm_{page.index}", (FlaskForm,), fields)
        return cls


_CACHE: dict[str, LoadedVersion] = {}
_LOCK = threading.Lock()


def loaded_version(content_hash: str, canonical_json: Callable[[], str]) -> LoadedVersion:
    """The parsed version with ``content_hash``; ``canonical_json`` is called only on a cache miss."""
    hit = _CACHE.get(content_hash)
    if hit is not None:
        return hit
    # Parse under the lock: when a worker starts, its threads all miss at once, and without the lock each of
    # them parsed the same questionnaire (and compiled its expressions) in parallel, contending for the GIL;
    # bench/submit_load.py saw that as the slowest pages of a run. The lock is taken on a miss only.
    with _LOCK:
        hit = _CACHE.get(content_hash)
        if hit is None:
            questionnaire = Questionnaire.from_json(canonical_json())
            hit = _CACHE[content_hash] = LoadedVersion(content_hash, questionnaire)
        return hit
