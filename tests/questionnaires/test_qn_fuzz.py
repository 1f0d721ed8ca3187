"""Property-based: mutated definition files are either accepted or reported, never a crash."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import (
    Problem,
    QuestionnaireInvalid,
    load_profile_text,
    load_questionnaire_text,
    validate_text,
)
from questionnaires.bundled import PROFILE_DIR, QUESTIONNAIRE_DIR
from questionnaires.expressions import ExpressionError, compile_expression

QUESTIONNAIRE_TEXT = (QUESTIONNAIRE_DIR / "spi-external.yaml").read_text(encoding="utf-8")
PROFILE_TEXT = (PROFILE_DIR / "spi-2024.yaml").read_text(encoding="utf-8")
QUESTIONNAIRE = yaml.safe_load(QUESTIONNAIRE_TEXT)
PROFILE = yaml.safe_load(PROFILE_TEXT)

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXPRESSION_ALPHABET = "${}()=!<>'\".,-+* abcq12_" + "andornotselected"
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.text(alphabet=EXPRESSION_ALPHABET, max_size=30),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def parent_of(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(doc) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent, last = parent_of(doc, path), path[-1]
        action = draw(st.sampled_from(["delete", "replace", "duplicate", "garble", "rename"]))
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(values)
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif action == "garble" and isinstance(parent[last], str):
            text = parent[last]
            cut = draw(st.integers(0, len(text)))
            parent[last] = (
                text[:cut] + draw(st.text(alphabet=EXPRESSION_ALPHABET, max_size=5)) + text[cut + 1 :]
            )
        elif action == "rename" and isinstance(parent, dict):
            parent[str(last) + draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(last)
    return doc


def check_consistent(text: str, is_profile: bool) -> None:
    problems = validate_text(text, "f.yaml")
    assert all(isinstance(p, Problem) and p.line >= 0 and p.column >= 0 and p.message for p in problems)
    assert all(str(p).startswith(f"f.yaml:{p.line}:{p.column}: ") for p in problems)
    load = load_profile_text if is_profile else load_questionnaire_text
    failure: QuestionnaireInvalid | None = None
    try:
        loaded = load(text, "f.yaml")
    except QuestionnaireInvalid as exc:
        failure = exc
    # The validator and the loader apply the same rules: one accepts exactly what the other accepts.
    if failure is None:
        assert problems == []
        assert loaded.content_hash.startswith("sha256:")
    else:
        assert problems
        assert failure.problems


@FUZZ
@given(mutated(QUESTIONNAIRE))
def test_mutated_questionnaire_is_accepted_or_reported(doc: Any) -> None:
    check_consistent(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), is_profile=False)


@FUZZ
@given(mutated(PROFILE))
def test_mutated_profile_is_accepted_or_reported(doc: Any) -> None:
    check_consistent(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), is_profile=True)


@FUZZ
@given(st.integers(0, len(QUESTIONNAIRE_TEXT)), st.integers(0, 40), st.text(max_size=8))
def test_truncated_or_spliced_text_is_accepted_or_reported(cut: int, drop: int, insert: str) -> None:
    truncated = QUESTIONNAIRE_TEXT[:cut]
    spliced = QUESTIONNAIRE_TEXT[:cut] + insert + QUESTIONNAIRE_TEXT[cut + drop :]
    for text in (truncated, spliced):
        problems = validate_text(text, "f.yaml")
        assert all(isinstance(p, Problem) for p in problems)


answers = st.dictionaries(
    st.sampled_from(["a", "b", "q1", "q2"]),
    st.one_of(
        st.none(), st.integers(), st.floats(), st.text(max_size=5), st.lists(st.text(max_size=3), max_size=3)
    ),
)


@FUZZ
@given(
    st.text(alphabet=EXPRESSION_ALPHABET, max_size=40),
    answers,
    st.one_of(st.none(), st.integers(), st.text()),
)
def test_any_expression_compiles_or_raises_expression_error(
    source: str, given_answers: dict[str, object], current: object
) -> None:
    error: ExpressionError | None = None
    try:
        expression = compile_expression(source)
    except ExpressionError as exc:
        error = exc
    if error is not None:
        assert 1 <= error.column <= len(source) + 1
    else:
        expression.evaluate(given_answers, current)
