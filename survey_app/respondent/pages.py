"""Pages of a questionnaire and the skip logic, evaluated on the server.

One section is one page, except where an item's relevance depends on an item of the same section: the page is
then split just before that item, so the follow-up appears on a continuation page once its trigger has been
answered, with no JavaScript. Splitting only where needed keeps the questionnaire's order of questions
(question order affects answers, so we never regroup items).

The same holds for a cascading select: its ``choice_filter`` offers options by an earlier answer, so a
filter that reads an item of the same page splits the page there too, and the options are chosen on the
server when the page is shown (and checked again when it is posted).

Hidden items (their own or their section's relevance is false) are neither required nor stored: answers are
*cleaned* in questionnaire order, each rule seeing only answers that survived cleaning, so hiding a trigger
also hides what depended on it. Cleaning also computes the ``calculate`` items (never shown, stored like
answers) and drops a choice the filter no longer offers (the answer it depended on was changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.expressions import compile_expression, is_relevant, to_boolean, to_text
from questionnaires.model import Item, ItemType, Questionnaire, Section

CONTINUATION = "~"


@dataclass(frozen=True)
class Page:
    key: str
    index: int
    section: Section
    items: tuple[Item, ...]
    #: 1 for the section's first page, 2… for continuation pages.
    part: int


def _references(source: str | None) -> frozenset[str]:
    return compile_expression(source).references if source else frozenset()


def _split(section: Section) -> list[tuple[Item, ...]]:
    chunks: list[list[Item]] = [[]]
    #: Answers given on the page being built, and the calculations computed from them.
    on_page: set[str] = set()
    for item in section.items:
        if (_references(item.relevant) | _references(item.choice_filter)) & on_page:
            chunks.append([])
            on_page = set()
        chunks[-1].append(item)
        if item.type is not ItemType.CALCULATE or _references(item.calculation) & on_page:
            on_page.add(item.id)
    return [tuple(chunk) for chunk in chunks if chunk]


def calculate(item: Item, answers: Mapping[str, Any]) -> str | None:
    """A calculate item's value as stored (text, as ODK stores it); ``None`` when it comes out empty."""
    if item.calculation is None:
        return None
    value = to_text(compile_expression(item.calculation).evaluate(answers))
    return None if value in ("", "NaN", "Infinity", "-Infinity") else value


def offered(item: Item, code: str, answers: Mapping[str, Any], attributes: Mapping[str, str]) -> bool:
    """Whether the option ``code`` of a choice item passes its ``choice_filter`` given ``answers``."""
    if item.choice_filter is None:
        return True
    choice = {**attributes, "name": code}
    return to_boolean(compile_expression(item.choice_filter).evaluate(answers, None, choice))


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
        """Only the answers of items that are shown, given the answers themselves; calculations computed."""
        kept: dict[str, Any] = {}
        for section in self.questionnaire.sections:
            if not is_relevant(section.relevant, kept):
                continue
            for item in section.items:
                if not item.type.stores_answer or not is_relevant(item.relevant, kept):
                    continue
                if item.type is ItemType.CALCULATE:
                    value = calculate(item, kept)
                    if value is not None:
                        kept[item.id] = value
                elif item.id in answers:
                    value = self._still_offered(item, answers[item.id], kept)
                    if value is not None:
                        kept[item.id] = value
        return kept

    def _still_offered(self, item: Item, value: Any, answers: Mapping[str, Any]) -> Any:
        if item.choice_filter is None:
            return value
        scale = self.questionnaire.scale_of(item)
        if scale is None:
            return value

        def ok(code: Any) -> bool:
            option = scale.option(str(code))
            # The scale's "don't know" and "not applicable" are always offered (see display.py).
            return option is not None and (
                option.missing is not None or offered(item, option.code, answers, option.attributes)
            )

        if isinstance(value, list):
            return [c for c in value if ok(c)] or None
        return value if ok(value) else None

    def visible_items(self, page: Page, answers: Mapping[str, Any]) -> tuple[Item, ...]:
        """Items of ``page`` shown to a respondent whose (cleaned) answers so far are ``answers``."""
        if not is_relevant(page.section.relevant, answers):
            return ()
        return tuple(
            item for item in page.items if item.type.is_shown and is_relevant(item.relevant, answers)
        )

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
