"""What a page shows, per language: sanitised Markdown turned into ``Markup`` once per version and language.

Questionnaire text may use Markdown (bold, emphasis, links, lists). It is rendered by markdown-it-py with raw
HTML disabled and then cleaned by nh3 with a short allow-list, so a questionnaire file can never inject
script or markup the Content-Security-Policy would have to stop. Everything else in the templates is
autoescaped by Jinja.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from questionnaires.model import Item, Questionnaire
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


@dataclass(frozen=True)
class SectionView:
    title: str
    description: Markup


class QuestionnaireView:
    """Every text of one questionnaire version in one language, rendered and sanitised."""

    def __init__(self, questionnaire: Questionnaire, lang: str) -> None:
        fallback = questionnaire.default_language
        self.lang = lang
        self.title = pick(questionnaire.title, lang, fallback)
        self.introduction = block(pick(questionnaire.introduction, lang, fallback))
        self.consent = inline(pick(questionnaire.consent, lang, fallback))
        self.sections = {
            s.id: SectionView(
                title=pick(s.title, lang, fallback), description=block(pick(s.description, lang, fallback))
            )
            for s in questionnaire.sections
        }
        self.items = {i.id: self._item(questionnaire, i, lang, fallback) for i in questionnaire.iter_items()}

    @staticmethod
    def _item(questionnaire: Questionnaire, item: Item, lang: str, fallback: str) -> ItemView:
        scale = questionnaire.scale_of(item)
        options = tuple(
            OptionView(
                code=o.code,
                # The first control carries the item id so the error summary's #item links land on it.
                html_id=item.id if n == 0 else f"{item.id}-{n}",
                label=inline(pick(o.label, lang, fallback)),
                missing=o.missing is not None,
            )
            for n, o in enumerate(scale.options if scale else ())
        )
        return ItemView(
            id=item.id,
            macro=question_type(item).macro,
            inputmode=question_type(item).inputmode,
            label=inline(pick(item.label, lang, fallback)),
            hint=inline(pick(item.hint, lang, fallback)) if item.hint else Markup(""),
            options=options,
            required=item.required,
            hint_id=f"{item.id}-hint",
            error_id=f"{item.id}-error",
        )
