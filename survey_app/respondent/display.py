"""What a page shows, per language: sanitised Markdown turned into ``Markup`` once per version and language.

Questionnaire text may use Markdown (bold, emphasis, links, lists). It is rendered by markdown-it-py with raw
HTML disabled and then cleaned by nh3 with a short allow-list, so a questionnaire file can never inject
script or markup the Content-Security-Policy would have to stop. Everything else in the templates is
autoescaped by Jinja.

Two things depend on the respondent's answers and are done per page view (:func:`for_answers`,
:func:`section_for_answers`, :func:`piped_message`): ``${id}`` in a label, a hint, an option's label, a
section's title or description, or a constraint or required message shows the answer of item ``id`` (an
option's label for a choice), and a cascading select offers only the options its ``choice_filter`` passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from questionnaires.model import Item, Questionnaire, Section
from survey_app.respondent.pages import offered
from survey_app.respondent.questions import question_type

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_BLOCK_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "blockquote"}
_INLINE_TAGS = {"strong", "em", "a", "code", "br"}
_ATTRIBUTES = {"a": {"href", "title"}}


def _clean(html: str, tags: set[str]) -> Markup:
    # nh3 adds rel="noopener noreferrer" to links; tokens never leak through them either way (no-referrer).
    cleaned = nh3.clean(html, tags=tags, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"})
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 with an allow-list on the line above


def block(text: str) -> Markup:
    return _clean(_MARKDOWN.render(text), _BLOCK_TAGS) if text else Markup("")


def inline(text: str) -> Markup:
    return _clean(_MARKDOWN.renderInline(text), _INLINE_TAGS) if text else Markup("")


def pick(text: Mapping[str, str], lang: str, fallback: str) -> str:
    """Text in ``lang``, else in the questionnaire's first language, else any."""
    return text.get(lang) or text.get(fallback) or next(iter(text.values()), "")


@dataclass(frozen=True)
class OptionView:
    code: str
    html_id: str
    label: Markup
    missing: bool
    #: The option's columns that a ``choice_filter`` reads.
    attributes: Mapping[str, str] = field(default_factory=dict)
    #: The label as written, when it shows answers (``${id}``); rendered per page view.
    piped_label: str | None = None


@dataclass(frozen=True)
class ItemView:
    id: str
    macro: str
    label: Markup
    hint: Markup
    options: tuple[OptionView, ...]
    required: bool
    inputmode: str
    #: ``id`` of the hint element, for ``aria-describedby``.
    hint_id: str
    error_id: str
    #: ``type`` of the HTML input (date, time, datetime-local) where the macro has one.
    input_type: str = "text"
    #: The label and hint as written, when they show answers (``${id}``); rendered per page view.
    piped_label: str | None = None
    piped_hint: str | None = None


@dataclass(frozen=True)
class SectionView:
    title: str
    description: Markup
    #: The title and description as written, when they show answers (``${id}``).
    piped_title: str | None = None
    piped_description: str | None = None


class QuestionnaireView:
    """Every text of one questionnaire version in one language, rendered and sanitised."""

    def __init__(self, questionnaire: Questionnaire, lang: str) -> None:
        fallback = questionnaire.default_language
        self.lang = lang
        self.title = pick(questionnaire.title, lang, fallback)
        self.introduction = block(pick(questionnaire.introduction, lang, fallback))
        self.consent = inline(pick(questionnaire.consent, lang, fallback))
        self.sections = {s.id: self._section(s, lang, fallback) for s in questionnaire.sections}
        self.items = {i.id: self._item(questionnaire, i, lang, fallback) for i in questionnaire.iter_items()}

    @staticmethod
    def _section(section: Section, lang: str, fallback: str) -> SectionView:
        title, description = pick(section.title, lang, fallback), pick(section.description, lang, fallback)
        return SectionView(
            title=title,
            description=block(description),
            piped_title=title if PIPED.search(title) else None,
            piped_description=description if PIPED.search(description) else None,
        )

    @staticmethod
    def _item(questionnaire: Questionnaire, item: Item, lang: str, fallback: str) -> ItemView:
        scale = questionnaire.scale_of(item)
        labels = [pick(o.label, lang, fallback) for o in (scale.options if scale else ())]
        options = tuple(
            OptionView(
                code=o.code,
                # The first control carries the item id so the error summary's #item links land on it.
                html_id=item.id if n == 0 else f"{item.id}-{n}",
                label=inline(label),
                missing=o.missing is not None,
                attributes=o.attributes,
                piped_label=label if PIPED.search(label) else None,
            )
            for n, (o, label) in enumerate(zip(scale.options if scale else (), labels, strict=True))
        )
        label, hint = pick(item.label, lang, fallback), pick(item.hint, lang, fallback) if item.hint else ""
        return ItemView(
            id=item.id,
            macro=question_type(item).macro,
            inputmode=question_type(item).inputmode,
            input_type=question_type(item).input_type,
            label=inline(label),
            hint=inline(hint) if hint else Markup(""),
            options=options,
            required=item.required,
            hint_id=f"{item.id}-hint",
            error_id=f"{item.id}-error",
            piped_label=label if PIPED.search(label) else None,
            piped_hint=hint if PIPED.search(hint) else None,
        )


#: ``${id}`` in a label or hint.
PIPED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Markdown's special characters: an inserted answer is shown as text, never read as markup.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~-])")


def for_answers(
    view: ItemView, item: Item, questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str
) -> ItemView:
    """``view`` as this respondent sees it: answers inserted into its texts, the filtered options only."""
    changes: dict[str, Any] = {}
    if view.piped_label is not None:
        changes["label"] = inline(_pipe(view.piped_label, questionnaire, answers, lang))
    if view.piped_hint is not None:
        changes["hint"] = inline(_pipe(view.piped_hint, questionnaire, answers, lang))
    options = view.options
    if any(o.piped_label is not None for o in options):
        options = tuple(
            o
            if o.piped_label is None
            else replace(o, label=inline(_pipe(o.piped_label, questionnaire, answers, lang)))
            for o in options
        )
        changes["options"] = options
    if item.choice_filter is not None:
        # "Don't know" and "not applicable" stay: a respondent may always say so.
        kept = [o for o in options if o.missing or offered(item, o.code, answers, o.attributes)]
        changes["options"] = tuple(
            # The first control carries the item id, so the error summary's #item link lands on it.
            replace(o, html_id=item.id if n == 0 else f"{item.id}-{n}")
            for n, o in enumerate(kept)
        )
    return replace(view, **changes) if changes else view


def section_for_answers(
    view: SectionView, questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str
) -> SectionView:
    """``view`` with answers inserted into its title (plain text) and description (Markdown)."""
    changes: dict[str, Any] = {}
    if view.piped_title is not None:
        changes["title"] = _pipe(view.piped_title, questionnaire, answers, lang, markdown=False)
    if view.piped_description is not None:
        changes["description"] = block(_pipe(view.piped_description, questionnaire, answers, lang))
    return replace(view, **changes) if changes else view


def piped_message(text: str, questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str) -> str:
    """A constraint or required message (plain text) with answers inserted."""
    return _pipe(text, questionnaire, answers, lang, markdown=False) if PIPED.search(text) else text


def _pipe(
    text: str,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    lang: str,
    *,
    markdown: bool = True,
) -> str:
    def shown(match: re.Match[str]) -> str:
        try:
            source = questionnaire.item(match.group(1))
        except KeyError:
            return ""
        value = answers.get(source.id)
        if value is None:
            return ""
        display = " ".join(question_type(source).display(source, value, questionnaire, lang).split())
        # Plain text is escaped by Jinja; Markdown would read the answer's * or [ as markup.
        return _MARKDOWN_SPECIAL.sub(r"\\\1", display) if markdown else display

    return PIPED.sub(shown, text)
