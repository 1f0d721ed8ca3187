"""Question types: one small class per item type, found through a registry (no ``if``/``elif`` over types).

Each type knows how to build its WTForms field, how to turn what the form received into the stored value
(with a clear message when it cannot), how to put a stored value back into the form, how to show a stored
value to a person, how to write it into a wide export, and which Jinja macro renders it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from flask_babel import gettext, lazy_gettext
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField

from questionnaires.model import Item, ItemType, Questionnaire

#: Longest accepted text answers; long enough for any honest answer, short enough to bound a row's size.
TEXT_MAX = 500
LONG_TEXT_MAX = 5000
_INTEGER = re.compile(r"[+-]?\d+")
# Indonesian writes decimals with a comma (2,5); both separators are accepted.
_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


class ParseError(ValueError):
    """What the respondent entered cannot be stored as an answer of this item; ``str()`` is the message."""


def _codes(item: Item, questionnaire: Questionnaire) -> list[str]:
    scale = questionnaire.scale_of(item)
    return [o.code for o in scale.options] if scale else []


class QuestionType:
    item_type: ClassVar[ItemType]
    #: Name of the macro in ``macros/fields.html``.
    macro: ClassVar[str]
    #: ``inputmode`` of a text box (phones show a number pad for numbers).
    inputmode: ClassVar[str] = "text"

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        """The unbound WTForms field for ``item`` (its HTML name is the item id)."""
        raise NotImplementedError

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        """The value to store, ``None`` when unanswered; raises :class:`ParseError`."""
        raise NotImplementedError

    def form_value(self, value: Any) -> Any:
        """A stored value as the macro shows it in the form (text, a code, or a set of codes)."""
        return "" if value is None else str(value)

    def posted_value(self, field: Field) -> Any:
        """What the respondent sent, to show again after a validation error (nothing is lost)."""
        return field.data if field.data is not None else ""

    def display(self, item: Item, value: Any, questionnaire: Questionnaire, lang: str) -> str:
        return "" if value is None else str(value)

    def export(self, value: Any) -> Any:
        """The cell of a wide export (CSV, DataFrame)."""
        return value


class SelectOne(QuestionType):
    item_type = ItemType.SELECT_ONE
    macro = "select_one"

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        # The label is never rendered (the templates label items themselves); giving one keeps WTForms from
        # loading its translation catalog to title-case the field name, on every field of every request.
        return RadioField(item.id, name=item.id, choices=_codes(item, questionnaire), validate_choice=False)

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        if not field.data:
            return None
        if field.data not in _codes(item, questionnaire):
            raise ParseError(gettext("Choose one of the options."))
        return str(field.data)

    def display(self, item: Item, value: Any, questionnaire: Questionnaire, lang: str) -> str:
        return _option_label(item, questionnaire, value, lang)


class SelectMultiple(QuestionType):
    item_type = ItemType.SELECT_MULTIPLE
    macro = "select_multiple"

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return SelectMultipleField(
            item.id, name=item.id, choices=_codes(item, questionnaire), validate_choice=False
        )

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        chosen = [str(c) for c in field.data or []]
        if not chosen:
            return None
        codes = _codes(item, questionnaire)
        if any(c not in codes for c in chosen):
            raise ParseError(gettext("Choose among the options shown."))
        scale = questionnaire.scale_of(item)
        missing = {o.code for o in scale.options if o.missing is not None} if scale else set()
        if len(chosen) > 1 and missing & set(chosen):
            raise ParseError(
                gettext("“Don't know” or “not applicable” cannot be combined with other answers.")
            )
        # Stored in the scale's order, whatever order the browser sent them in.
        return [c for c in codes if c in chosen]

    def form_value(self, value: Any) -> Any:
        return set(value or ())

    def posted_value(self, field: Field) -> Any:
        return set(field.data or ())

    def display(self, item: Item, value: Any, questionnaire: Questionnaire, lang: str) -> str:
        return "; ".join(_option_label(item, questionnaire, code, lang) for code in value or ())

    def export(self, value: Any) -> Any:
        return " ".join(value) if isinstance(value, list | tuple) else value


#: The most digits a typed number may have.
MAX_DIGITS = 15


class _Number(QuestionType):
    macro = "number"
    pattern: ClassVar[re.Pattern[str]]
    message: ClassVar[Any]

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return StringField(item.id, name=item.id)

    def convert(self, text: str) -> int | float:
        raise NotImplementedError

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        text = (field.data or "").strip().replace(" ", "")
        if not text:
            return None
        if not self.pattern.fullmatch(text):
            raise ParseError(str(self.message))
        if sum(c.isdigit() for c in text) > MAX_DIGITS:
            # Beyond 15 digits a double is no longer exact, and a long enough string is refused by int()
            # itself (Python's 4,300-digit limit); no survey question needs such a number.
            raise ParseError(gettext("Enter a number with at most %(digits)s digits.", digits=MAX_DIGITS))
        number = self.convert(text)
        if item.minimum is not None and number < item.minimum:
            raise ParseError(gettext("Enter a number of at least %(minimum)s.", minimum=_plain(item.minimum)))
        if item.maximum is not None and number > item.maximum:
            raise ParseError(gettext("Enter a number of at most %(maximum)s.", maximum=_plain(item.maximum)))
        return number


class Integer(_Number):
    item_type = ItemType.INTEGER
    pattern = _INTEGER
    inputmode = "numeric"
    message = lazy_gettext("Enter a whole number, for example 12.")

    def convert(self, text: str) -> int:
        return int(text)


class Decimal(_Number):
    item_type = ItemType.DECIMAL
    pattern = _DECIMAL
    inputmode = "decimal"
    message = lazy_gettext("Enter a number, for example 2,5.")

    def convert(self, text: str) -> float:
        number = float(text.replace(",", "."))
        if not math.isfinite(number):
            raise ParseError(str(self.message))
        return number


class _Text(QuestionType):
    max_length: ClassVar[int]

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        text = (field.data or "").strip()
        if not text:
            return None
        if len(text) > self.max_length:
            raise ParseError(
                gettext("Keep your answer under %(limit)s characters.", limit=f"{self.max_length:,}")
            )
        return text


class Text(_Text):
    item_type = ItemType.TEXT
    macro = "text"
    max_length = TEXT_MAX

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return StringField(item.id, name=item.id)


class LongText(_Text):
    item_type = ItemType.LONG_TEXT
    macro = "long_text"
    max_length = LONG_TEXT_MAX

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return TextAreaField(item.id, name=item.id)


class Note(QuestionType):
    item_type = ItemType.NOTE
    macro = "note"

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return None

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        return None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _option_label(item: Item, questionnaire: Questionnaire, code: Any, lang: str) -> str:
    scale = questionnaire.scale_of(item)
    option = scale.option(str(code)) if scale else None
    if option is None:
        return str(code)
    return option.label.get(lang) or next(iter(option.label.values()), str(code))


REGISTRY: Mapping[ItemType, QuestionType] = {
    cls.item_type: cls() for cls in (SelectOne, SelectMultiple, Integer, Decimal, Text, LongText, Note)
}


def question_type(item: Item) -> QuestionType:
    return REGISTRY[item.type]


def export_row(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[Any]:
    """One wide-export row of ``answers`` (columns: items that store an answer, in order)."""
    return [
        question_type(i).export(answers.get(i.id)) for i in questionnaire.iter_items() if i.type.stores_answer
    ]


def export_items(questionnaire: Questionnaire) -> Sequence[Item]:
    return [i for i in questionnaire.iter_items() if i.type.stores_answer]
