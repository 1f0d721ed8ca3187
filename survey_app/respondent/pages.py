"""Pages of a questionnaire and the skip logic, evaluated on the server.

One section is one page, except where an item's relevance depends on an item of the same section: the page is
then split just before that item, so the follow-up appears on a continuation page once its trigger has been
answered, with no JavaScript. Splitting only where needed keeps the questionnaire's order of questions
(question order affects answers, so we never regroup items).

Hidden items (their own or their section's relevance is false) are neither required nor stored: answers are
*cleaned* in questionnaire order, each rule seeing only answers that survived cleaning, so hiding a trigger
also hides what depended on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.expressions import compile_expression, is_relevant
from questionnaires.model import Item, Questionnaire, Section

CONTINUATION = "~"


@dataclass(frozen=True)
class Page:
    key: str
    index: int
    section: Section
    items: tuple[Item, ...]
    #: 1 for the section's first page, 2… for continuation pages.
    part: int


def _split(section: Section) -> list[tuple[Item, ...]]:
    chunks: list[list[Item]] = [[]]
    on_page: set[str] = set()
    for item in section.items:
        references = compile_expression(item.relevant).references if item.relevant else frozenset()
        if references & on_page:
            chunks.append([])
            on_page = set()
        chunks[-1].append(item)
        on_page.add(item.id)
    return [tuple(chunk) for chunk in chunks if chunk]


class Plan:
    """The pages of one questionnaire version; immutable, built once per version and cached."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        pages: list[Page] = []
        for section in questionnaire.sections:
            for part, items in enumerate(_split(section), start=1):
                key = section.id if part == 1 else f"{section.id}{CONTINUATION}{part}"
                pages.append(Page(key=key, index=len(pages), section=section, items=items, part=part))
        self.pages: tuple[Page, ...] = tuple(pages)
        self._by_key = {page.key: page for page in pages}

    def page(self, key: str) -> Page | None:
        return self._by_key.get(key)

    @property
    def first(self) -> Page:
        return self.pages[0]

    # Skip logic --------------------------------------------------------------------------------------------

    def clean(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Only the answers of items that are shown, given the answers themselves."""
        kept: dict[str, Any] = {}
        for section in self.questionnaire.sections:
            if not is_relevant(section.relevant, kept):
                continue
            for item in section.items:
                if item.type.stores_answer and item.id in answers and is_relevant(item.relevant, kept):
                    kept[item.id] = answers[item.id]
        return kept

    def visible_items(self, page: Page, answers: Mapping[str, Any]) -> tuple[Item, ...]:
        """Items of ``page`` shown to a respondent whose (cleaned) answers so far are ``answers``."""
        if not is_relevant(page.section.relevant, answers):
            return ()
        return tuple(item for item in page.items if is_relevant(item.relevant, answers))

    def is_visible(self, page: Page, answers: Mapping[str, Any]) -> bool:
        return bool(self.visible_items(page, answers))

    def next_page(self, page: Page | None, answers: Mapping[str, Any]) -> Page | None:
        start = 0 if page is None else page.index + 1
        return next((p for p in self.pages[start:] if self.is_visible(p, answers)), None)

    def previous_page(self, page: Page, answers: Mapping[str, Any]) -> Page | None:
        return next((p for p in reversed(self.pages[: page.index]) if self.is_visible(p, answers)), None)

    def visible_pages(self, answers: Mapping[str, Any]) -> list[Page]:
        return [p for p in self.pages if self.is_visible(p, answers)]

    def first_incomplete(
        self, answers: Mapping[str, Any], *, cleaned: Mapping[str, Any] | None = None
    ) -> Page | None:
        """The first shown page with a required, shown item left unanswered (``None``: complete).

        ``cleaned``: ``clean(answers)`` when the caller has it already (the final submit does).
        """
        if cleaned is None:
            cleaned = self.clean(answers)
        for page in self.pages:  # a page without shown items has nothing left unanswered
            for item in self.visible_items(page, cleaned):
                if item.required and item.type.stores_answer and item.id not in cleaned:
                    return page
        return None

    def progress(self, page: Page, answers: Mapping[str, Any]) -> tuple[int, int]:
        """(number of this page, number of pages) among the pages currently shown."""
        shown = self.visible_pages(answers)
        position = sum(1 for p in shown if p.index < page.index) + 1
        return position, max(len(shown), position)
