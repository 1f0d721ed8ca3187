"""A safe evaluator for XLSForm-style relevance and constraint expressions.

The grammar (``expressions.lark``) is parsed by lark; the tree is compiled into small Python closures over a
whitelist of operators and functions. Nothing from a questionnaire file is ever passed to ``eval``.

Semantics follow ODK (XPath 1.0):

* ``${id}`` is the stored answer of item ``id``; an unanswered item is the empty string, a ``select_multiple``
  answer is its codes joined by spaces, so ``${q1} = 'ya'`` is false while ``q1`` is unanswered.
* ``.`` is the value being checked by a constraint.
* a bare name (``province``, ``name``) is a column of the choice being filtered: only a ``choice_filter``
  has one (``province = ${province}`` offers the cities of the province answered before).
* dates, times and date-times are ISO text (``2024-03-01``, ``14:30``, ``2024-03-01T14:30``); as numbers they
  are days since 1970-01-01 (a time: the fraction of a day), as in ODK, so ``. >= date('2020-01-01')`` and
  ``${end} - ${start} > 7`` work. ``date()`` makes a date of ISO text or a number of days.
* ``=``/``!=`` compare as booleans if either side is a boolean, else as numbers if either side is a number,
  else as text; ``<``, ``<=``, ``>``, ``>=`` and arithmetic (``+ - * div mod``) always use numbers, where text
  that is not a number (and the empty string) is NaN, so every comparison with it is false.
* ``and``/``or``/``not()`` use XPath truth: a number is true unless 0 or NaN, text unless empty.

>>> is_relevant("${q1} = 'ya' and ${q2} != 9", {"q1": "ya", "q2": "3"})
True
>>> is_relevant("${q1} = 'ya'", {})
False
>>> is_relevant("selected(${given}, 'uang') or count-selected(${given}) > 2", {"given": ["uang", "barang"]})
True
>>> satisfies_constraint(". >= 0 and . <= ${total}", 5, {"total": 10})
True
>>> compile_expression("${a} + ${b} div 2").evaluate({"a": 1, "b": "4"})
3.0
>>> sorted(compile_expression("${a} > 1 or selected(${b}, 'x')").references)
['a', 'b']
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lark

from questionnaires.problems import N_, Label, Msg

#: What an expression computes with: XPath's three types.
Value = str | float | bool

#: The environment of one evaluation: the answers so far, the current value (``.``) and the columns of the
#: choice being filtered.
Env = tuple[Mapping[str, object], object, Mapping[str, str]]

Compiled = Callable[[Env], Value]

#: Longer expressions are refused; no legitimate relevance rule comes close, and it bounds the parser's work.
MAX_LENGTH = 2000


class ExpressionError(ValueError):
    """An expression that does not parse or calls an unknown function; ``column`` is 1-based."""

    def __init__(self, message: Label, column: int = 1) -> None:
        #: The English text; ``text`` is the same as a message to translate.
        self.message = str(message)
        self.text = message
        self.column = column
        super().__init__(f"column {column}: {message}")


@dataclass(frozen=True, eq=False)
class Expression:
    """A compiled expression; ``references`` are the item ids it reads as ``${id}``."""

    source: str
    references: frozenset[str]
    #: Whether the expression reads ``.`` (the value under a constraint).
    uses_current: bool
    #: ``(item id, code)`` pairs from ``selected(${id}, 'code')`` calls, so validators can check the codes.
    selected_codes: frozenset[tuple[str, str]]
    _run: Compiled
    #: Bare names: columns of a choice, which only a ``choice_filter`` has.
    columns: frozenset[str] = frozenset()

    def evaluate(
        self, answers: Mapping[str, object], current: object = None, choice: Mapping[str, str] | None = None
    ) -> Value:
        return self._run((answers, current, choice or {}))

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


# Conversions (XPath 1.0 string(), number(), boolean()) ---------------------------------------------------


def to_value(raw: object) -> Value:
    """A stored answer as an expression value (``None`` and lists as ODK would hold them)."""
    if raw is None:
        return ""
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, list | tuple | set | frozenset):
        return " ".join(str(v) for v in raw)
    return str(raw)


_EPOCH = dt.date(1970, 1, 1)
_TEMPORAL = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?|\d{2}:\d{2}(:\d{2})?")


def temporal_days(text: str) -> float | None:
    """ISO date, date-time or time text as days since 1970-01-01 (a time: the fraction of a day)."""
    if not _TEMPORAL.fullmatch(text):
        return None
    try:
        if ":" in text and "-" not in text:
            parts = [int(p) for p in text.split(":")]
            if parts[0] > 23 or parts[1] > 59 or (len(parts) > 2 and parts[2] > 59):
                return None
            return (parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)) / 86400
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment.date() - _EPOCH).days + (moment.hour * 3600 + moment.minute * 60 + moment.second) / 86400


def to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    try:
        return float(value.strip())
    except ValueError:
        days = temporal_days(value.strip())
        return math.nan if days is None else days


def to_boolean(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return value != ""


def to_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return str(int(value)) if value.is_integer() else repr(value)
    return value


# Operators ------------------------------------------------------------------------------------------------


def _equal(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if isinstance(left, float) or isinstance(right, float):
        return to_number(left) == to_number(right)
    return left == right


_COMPARE: dict[str, Callable[[Value, Value], bool]] = {
    "=": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": lambda a, b: to_number(a) < to_number(b),
    "<=": lambda a, b: to_number(a) <= to_number(b),
    ">": lambda a, b: to_number(a) > to_number(b),
    ">=": lambda a, b: to_number(a) >= to_number(b),
}


def _divide(a: float, b: float) -> float:
    if b == 0:
        # XPath: division by zero gives an infinity (or NaN for 0 div 0) instead of an error.
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


def _modulo(a: float, b: float) -> float:
    # XPath's mod truncates like C's fmod, unlike Python's %.
    return math.nan if b == 0 or math.isinf(a) else math.fmod(a, b)


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": _divide,
    "mod": _modulo,
}


# Functions: name -> (minimum arguments, maximum arguments or None, implementation) -------------------------


def _selected(args: Sequence[Value]) -> Value:
    return to_text(args[1]).strip() in to_text(args[0]).split()


def _count_selected(args: Sequence[Value]) -> Value:
    return float(len(to_text(args[0]).split()))


def _int(args: Sequence[Value]) -> Value:
    number = to_number(args[0])
    return float(math.trunc(number)) if math.isfinite(number) else number


def _if(args: Sequence[Value]) -> Value:
    return args[1] if to_boolean(args[0]) else args[2]


def _date(args: Sequence[Value]) -> Value:
    """ISO text stays as it is (when it is a date); a number of days since 1970 becomes one."""
    value = args[0]
    if isinstance(value, str) and not _is_number_text(value):
        text = value.strip()
        return text if temporal_days(text) is not None and "-" in text else ""
    days = to_number(value)
    if not math.isfinite(days) or abs(days) > 3_000_000:
        return ""
    return (_EPOCH + dt.timedelta(days=math.floor(days))).isoformat()


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _coalesce(args: Sequence[Value]) -> Value:
    return args[0] if to_text(args[0]) != "" else args[1]


#: ``regex()`` patterns are written by questionnaire authors; the bound keeps their cost predictable.
MAX_PATTERN_LENGTH = 300


@functools.lru_cache(maxsize=256)
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _regex(args: Sequence[Value]) -> Value:
    # ODK's regex() is true when the pattern occurs in the value (JavaRosa uses Matcher.find()).
    return _pattern(to_text(args[1])).search(to_text(args[0])) is not None


def _extreme(pick: Callable[[list[float]], float]) -> Callable[[Sequence[Value]], Value]:
    def run(args: Sequence[Value]) -> Value:
        numbers = [to_number(a) for a in args]
        return math.nan if any(math.isnan(n) for n in numbers) else pick(numbers)

    return run


_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[Sequence[Value]], Value]]] = {
    "selected": (2, 2, _selected),
    "count-selected": (1, 1, _count_selected),
    "not": (1, 1, lambda a: not to_boolean(a[0])),
    "true": (0, 0, lambda a: True),
    "false": (0, 0, lambda a: False),
    "boolean": (1, 1, lambda a: to_boolean(a[0])),
    "number": (1, 1, lambda a: to_number(a[0])),
    "string": (1, 1, lambda a: to_text(a[0])),
    "int": (1, 1, _int),
    "if": (3, 3, _if),
    "coalesce": (2, 2, _coalesce),
    "string-length": (1, 1, lambda a: float(len(to_text(a[0])))),
    "contains": (2, 2, lambda a: to_text(a[1]) in to_text(a[0])),
    "starts-with": (2, 2, lambda a: to_text(a[0]).startswith(to_text(a[1]))),
    "ends-with": (2, 2, lambda a: to_text(a[0]).endswith(to_text(a[1]))),
    "concat": (1, None, lambda a: "".join(to_text(v) for v in a)),
    "min": (1, None, _extreme(min)),
    "max": (1, None, _extreme(max)),
    "abs": (1, 1, lambda a: abs(to_number(a[0]))),
    "round": (1, 1, lambda a: _round(to_number(a[0]))),
    "regex": (2, 2, _regex),
    "date": (1, 1, _date),
    "today": (0, 0, lambda a: dt.date.today().isoformat()),
}

#: The function names an expression may call (documented in docs/questionnaire-format.md).
FUNCTION_NAMES: frozenset[str] = frozenset(_FUNCTIONS)


def _round(number: float) -> float:
    # XPath round(): halves go up (towards +infinity), unlike Python's banker's rounding.
    return float(math.floor(number + 0.5)) if math.isfinite(number) else number


# Compilation ------------------------------------------------------------------------------------------------


class _Compiler(lark.Transformer[lark.Token, Compiled]):
    """Turns the parse tree into closures, collecting what the expression refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.references: set[str] = set()
        self.uses_current = False
        self.columns: set[str] = set()
        self.selected_codes: set[tuple[str, str]] = set()
        #: Literal text of nodes (refs and strings) so selected(${x}, 'code') can be recorded.
        self._literals: dict[int, tuple[str, str]] = {}

    def number(self, children: list[lark.Token]) -> Compiled:
        value = float(children[0])
        return lambda env: value

    def string(self, children: list[lark.Token]) -> Compiled:
        text = str(children[0])[1:-1]

        def run(env: Env) -> Value:
            return text

        self._literals[id(run)] = ("string", text)
        return run

    def ref(self, children: list[lark.Token]) -> Compiled:
        name = str(children[0])[2:-1]
        self.references.add(name)

        def run(env: Env) -> Value:
            return to_value(env[0].get(name))

        self._literals[id(run)] = ("ref", name)
        return run

    def column(self, children: list[lark.Token]) -> Compiled:
        name = str(children[0])
        self.columns.add(name)

        def run(env: Env) -> Value:
            return env[2].get(name, "")

        self._literals[id(run)] = ("column", name)
        return run

    def current(self, children: list[Any]) -> Compiled:
        self.uses_current = True
        return lambda env: to_value(env[1])

    def negate(self, children: list[Compiled]) -> Compiled:
        (inner,) = children
        return lambda env: -to_number(inner(env))

    def logical(self, children: list[Any]) -> Compiled:
        left, op, right = children
        if str(op) == "and":
            return lambda env: to_boolean(left(env)) and to_boolean(right(env))
        return lambda env: to_boolean(left(env)) or to_boolean(right(env))

    def compare(self, children: list[Any]) -> Compiled:
        left, op, right = children
        test = _COMPARE[str(op)]
        return lambda env: test(left(env), right(env))

    def arith(self, children: list[Any]) -> Compiled:
        left, op, right = children
        apply = _ARITH[str(op)]
        return lambda env: apply(to_number(left(env)), to_number(right(env)))

    def call(self, children: list[Any]) -> Compiled:
        name_token: lark.Token = children[0]
        args: list[Compiled] = [c for c in children[1:] if c is not None]
        name = str(name_token)
        spec = _FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionError(Msg(N_("unknown function '%(name)s()'"), name=name), name_token.column or 1)
        low, high, implementation = spec
        if len(args) < low or (high is not None and len(args) > high):
            expected = str(low) if low == high else f"{low} or more" if high is None else f"{low} to {high}"
            raise ExpressionError(
                Msg(
                    N_("%(name)s() takes %(expected)s argument%(plural)s, got %(args)s"),
                    name=name,
                    expected=expected,
                    plural="s" if expected != "1" else "",
                    args=len(args),
                ),
                name_token.column or 1,
            )
        if name == "regex":
            pattern = self._literals.get(id(args[1]))
            if pattern is None or pattern[0] != "string":
                raise ExpressionError(
                    Msg(N_("regex() needs its pattern written as text, e.g. regex(., '^[0-9]+$')")),
                    name_token.column or 1,
                )
            if len(pattern[1]) > MAX_PATTERN_LENGTH:
                raise ExpressionError(
                    Msg(N_("the regex() pattern is longer than %(max)s characters"), max=MAX_PATTERN_LENGTH),
                    name_token.column or 1,
                )
            try:
                _pattern(pattern[1])
            except re.error as exc:
                raise ExpressionError(
                    Msg(N_("the regex() pattern is not valid: %(exc)s"), exc=exc), name_token.column or 1
                ) from None
        if name == "selected":
            first, second = self._literals.get(id(args[0])), self._literals.get(id(args[1]))
            if first and second and first[0] == "ref" and second[0] == "string":
                self.selected_codes.add((first[1], second[1].strip()))
        return lambda env: implementation([a(env) for a in args])


@functools.cache
def _parser() -> lark.Lark:
    grammar = (Path(__file__).with_name("expressions.lark")).read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=False)


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str) -> Expression:
    """Parse and compile ``source``; cached, since the app evaluates the same rules on every request.

    >>> compile_expression("${q1} = ")
    Traceback (most recent call last):
    ...
    questionnaires.expressions.ExpressionError: column 9: the expression ends too early
    """
    if not source.strip():
        raise ExpressionError(Msg(N_("the expression is empty")), 1)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            Msg(N_("the expression is longer than %(max)s characters"), max=MAX_LENGTH), MAX_LENGTH
        )
    try:
        tree = _parser().parse(source)
        compiler = _Compiler()
        run = compiler.transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionError):
            raise exc.orig_exc from None
        raise ExpressionError(Msg(N_("cannot compile: %(orig_exc)s"), orig_exc=exc.orig_exc), 1) from None
    except lark.UnexpectedEOF:
        raise ExpressionError(Msg(N_("the expression ends too early")), len(source) + 1) from None
    except lark.UnexpectedCharacters as exc:
        where = exc.pos_in_stream or 0
        raise ExpressionError(
            Msg(N_("unexpected character %(source)s"), source=repr(source[where : where + 1])), exc.column
        ) from None
    except lark.UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise ExpressionError(Msg(N_("the expression ends too early")), len(source) + 1) from None
        raise ExpressionError(
            Msg(N_("unexpected %(token)s"), token=repr(str(exc.token))), exc.column
        ) from None
    except RecursionError:
        raise ExpressionError(Msg(N_("the expression is nested too deeply")), 1) from None
    return Expression(
        source=source,
        references=frozenset(compiler.references),
        uses_current=compiler.uses_current,
        selected_codes=frozenset(compiler.selected_codes),
        _run=run,
        columns=frozenset(compiler.columns),
    )


def is_relevant(source: str | None, answers: Mapping[str, object]) -> bool:
    """Whether an item or section with relevance rule ``source`` is shown (no rule: always)."""
    if source is None or not source.strip():
        return True
    return to_boolean(compile_expression(source).evaluate(answers))


def satisfies_constraint(source: str | None, value: object, answers: Mapping[str, object]) -> bool:
    """Whether ``value`` passes constraint ``source``; as in ODK, an empty answer is never checked."""
    if source is None or not source.strip() or value is None or value == "" or value == []:
        return True
    return to_boolean(compile_expression(source).evaluate(answers, value))
