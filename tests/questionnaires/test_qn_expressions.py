"""XLSForm semantics of the expression evaluator, and what it refuses."""

from __future__ import annotations

import math

import pytest

from questionnaires.expressions import (
    FUNCTION_NAMES,
    ExpressionError,
    compile_expression,
    is_relevant,
    satisfies_constraint,
)

ANSWERS: dict[str, object] = {
    "yn": "ya",
    "code": "1",
    "n": 7,
    "x": 2.5,
    "multi": ["uang", "barang"],
    "empty_multi": [],
    "t": "halo",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${yn} = 'ya'", True),
        ("${yn} != 'ya'", False),
        ("${missing} = 'ya'", False),  # unanswered compares as the empty string
        ("${missing} != 'ya'", True),
        ("${missing} = ''", True),
        ("${missing} > 3", False),  # '' is NaN as a number
        ("${missing} < 3", False),
        ("${code} = 1", True),  # a select_one code compares as a number against a number
        ("${code} = '1'", True),
        ("${n} > 5 and ${n} <= 7", True),
        ("${n} > 7 or ${x} = 2.5", True),
        ("not(${n} > 5)", False),
        ("${n} + 3 = 10", True),
        ("${n} - ${x} * 2 = 2", True),
        ("${n} div 2 = 3.5", True),
        ("${n} mod 4 = 3", True),
        ("-${n} < 0", True),
        ("1 div 0 > 1000000", True),
        ("selected(${multi}, 'uang')", True),
        ("selected(${multi}, 'jasa')", False),
        ("selected(${missing}, 'uang')", False),
        ("count-selected(${multi}) = 2", True),
        ("count-selected(${empty_multi}) = 0", True),
        ("${multi} = 'uang barang'", True),
        ("string-length(${t}) = 4", True),
        ("contains(${t}, 'al')", True),
        ("starts-with(${t}, 'ha') and ends-with(${t}, 'lo')", True),
        ("if(${n} > 5, 'big', 'small') = 'big'", True),
        ("coalesce(${missing}, 'x') = 'x'", True),
        ("int(${x}) = 2", True),
        ("round(2.5) = 3", True),
        ("true() and not(false())", True),
        ("boolean(${t})", True),
        ("boolean(${missing})", False),
        ("number(${t}) = number(${t})", False),  # NaN equals nothing, not even itself
        ("min(3, ${n}) = 3 and max(3, ${n}) = 7", True),
        ("concat(${yn}, '-', ${n}) = 'ya-7'", True),
        ("(${n} > 1) = true()", True),
        ("\"double\" = 'double'", True),
    ],
)
def test_relevance_semantics(source: str, expected: bool) -> None:
    assert is_relevant(source, ANSWERS) is expected


def test_no_rule_means_relevant() -> None:
    assert is_relevant(None, {}) is True
    assert is_relevant("  ", {}) is True


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        (". >= 0 and . <= 100", 50, True),
        (". >= 0 and . <= 100", 101, False),
        (". <= ${n}", 8, False),
        ("string-length(.) <= 3", "abcd", False),
        ("count-selected(.) <= 1", ["a", "b"], False),
        ("not(selected(., 'dk') and count-selected(.) > 1)", ["dk", "uang"], False),
        (". > 0", None, True),  # an empty answer is not checked, as in ODK
        (". > 0", "", True),
        (". > 0", [], True),
    ],
)
def test_constraints_use_dot_for_the_value(source: str, value: object, expected: bool) -> None:
    assert satisfies_constraint(source, value, ANSWERS) is expected


def test_references_and_selected_codes() -> None:
    expression = compile_expression("selected(${a}, 'x') or ${b} > ${c} or count-selected(${a}) > 1")
    assert expression.references == frozenset({"a", "b", "c"})
    assert expression.selected_codes == frozenset({("a", "x")})
    assert not expression.uses_current
    assert compile_expression(". > 1").uses_current


def test_compiled_expressions_are_cached() -> None:
    assert compile_expression("${a} = 1") is compile_expression("${a} = 1")


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("${a} = ", "ends too early", 8),
        ("${a} == 1", "unexpected '='", 7),
        ("${a} = 1 ; drop", "unexpected character ';'", 10),
        ("__import__('os')", "unexpected character '_'", 1),
        ("eval('1')", "unknown function 'eval()'", 1),
        ("selected(${a})", "selected() takes 2 arguments, got 1", 1),
        ("not(1, 2)", "not() takes 1 argument, got 2", 1),
        ("${a} = 1 and", "ends too early", 13),
        ("", "empty", 1),
        ("$a = 1", "unexpected character '$'", 1),
        ("${a}.b", "unexpected", 5),
    ],
)
def test_bad_expressions_are_refused_with_a_column(source: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert message in caught.value.message
    assert caught.value.column == column


def test_long_expressions_are_refused() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression(" or ".join(["${a} = 1"] * 400))


def test_nan_and_infinity_do_not_raise() -> None:
    value = compile_expression("0 div 0").evaluate({})
    assert isinstance(value, float)
    assert math.isnan(value)
    assert compile_expression("5 mod 0").evaluate({}) != compile_expression("5 mod 0").evaluate({})


def test_whitelist_is_documented() -> None:
    assert {"selected", "count-selected", "not", "if", "coalesce"} <= FUNCTION_NAMES
    assert "eval" not in FUNCTION_NAMES
