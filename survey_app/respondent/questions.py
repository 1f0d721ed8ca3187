"""Question types: one small class per item type, found through a registry (no ``if``/``elif`` over types).

Each type knows how to build its WTForms field, how to turn what the form received into the stored value
(with a clear message when it cannot), how to put a stored value back into the form, how to show a stored
value to a person, how to write it into a wide export, and which Jinja macro renders it.
"""

from __future__ import annotations

import datetime as dt
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
    #: ``type`` of the HTML input, where the macro has one.
    input_type: ClassVar[str] = "text"

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


#: Typed dates where a browser shows a text box instead of a date picker: day/month/year, as in Indonesia.
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?")


def _date(text: str) -> dt.date | None:
    try:
        if _DAY_FIRST.fullmatch(text):
            day, month, year = (int(p) for p in _DAY_FIRST.fullmatch(text).groups())  # type: ignore[union-attr]
            return dt.date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError:
        return None
    return None


def _time(text: str) -> str | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = int(match.group(3)) if match.group(3) else 0
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return f"{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


class _Temporal(QuestionType):
    """Dates and times as ISO text (what ``<input type=date>`` and its kin send, and what ODK stores)."""

    #: The ``type`` of the HTML input.
    input_type: ClassVar[str]
    message: ClassVar[Any]

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return StringField(item.id, name=item.id)

    def convert(self, text: str) -> str | None:
        raise NotImplementedError

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        text = " ".join((field.data or "").split())
        if not text:
            return None
        value = self.convert(text) if len(text) <= 40 else None
        if value is None:
            raise ParseError(str(self.message))
        return value


class Date(_Temporal):
    item_type = ItemType.DATE
    macro = "temporal"
    input_type = "date"
    message = lazy_gettext("Enter a date as day/month/year, for example 17/08/2024.")

    def convert(self, text: str) -> str | None:
        day = _date(text)
        return day.isoformat() if day is not None and day.year >= 1000 else None


class Time(_Temporal):
    item_type = ItemType.TIME
    macro = "temporal"
    input_type = "time"
    message = lazy_gettext("Enter a time as hours:minutes, for example 14:30.")

    def convert(self, text: str) -> str | None:
        return _time(text)


class DateTime(_Temporal):
    item_type = ItemType.DATETIME
    macro = "temporal"
    input_type = "datetime-local"
    message = lazy_gettext("Enter a date and a time, for example 17/08/2024 14:30.")

    def convert(self, text: str) -> str | None:
        day_text, _, time_text = text.replace("T", " ").partition(" ")
        day, moment = _date(day_text), _time(time_text.strip())
        if day is None or moment is None or day.year < 1000:
            return None
        return f"{day.isoformat()}T{moment}"


class Calculate(QuestionType):
    """Computed on the server when answers are cleaned (pages.py); never shown, never posted."""

    item_type = ItemType.CALCULATE
    macro = "calculate"

    def field(self, item: Item, questionnaire: Questionnaire) -> Any:
        return None

    def parse(self, item: Item, field: Field, questionnaire: Questionnaire) -> Any:
        return None


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
    cls.item_type: cls()
    for cls in (
        SelectOne,
        SelectMultiple,
        Integer,
        Decimal,
        Text,
        LongText,
        Date,
        Time,
        DateTime,
        Calculate,
        Note,
    )
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
