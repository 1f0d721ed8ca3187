"""The XLSForm features that change what a respondent answers, beyond plain questions and choices.

* ``calculate`` rows (their ``calculation``), computed on the server with the safe evaluator, stored like an
  answer and never shown;
* ``date``, ``time`` and ``datetime`` questions;
* cascading selects: a ``choice_filter`` over the choice rows' other columns (``province=${province}``),
  whose columns the choices sheet keeps as option attributes;
* ``required_message``.

The importer calls these for each question row; what they add goes through the same validator as a
hand-written questionnaire.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from questionnaires.builder import ID_PATTERN
from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.problems import N_, Msg

if TYPE_CHECKING:
    from questionnaires.xlsform.questions import _QuestionReader as Importer
    from questionnaires.xlsform.sheets import Record, _SheetReader

#: XLSForm types that are plain questions here (beside integer, decimal, text and note), by their name here.
ANSWERED_TYPES = {"date": "date", "time": "time", "datetime": "datetime", "calculate": "calculate"}


def filter_columns(records: Iterable[tuple[int, Record, Any]]) -> frozenset[str]:
    """The choice columns that the survey's choice filters read (bare names other than ``name``)."""
    found: set[str] = set()
    for _, record, _ in records:
        value = (record.get("choice_filter") or {}).get(None)
        if value is None:
            continue
        try:
            expression = compile_expression(value.text)
        except ExpressionError:
            continue  # reported with the question
        found.update(c for c in expression.columns if c != "name" and ID_PATTERN.match(c))
    return frozenset(found)


def option_attributes(record: Record, columns: frozenset[str]) -> dict[str, Any]:
    """``{"attributes": ...}``: a choice row's values in the columns that choice filters read (or nothing)."""
    found = {
        column: value.text
        for column in sorted(columns)
        if (value := (record.get(column) or {}).get(None)) is not None
    }
    return {"attributes": found} if found else {}


def add_item_features(
    importer: Importer,
    survey: _SheetReader,
    row: int,
    record: Record,
    item: dict[str, Any],
    expression: Any,
) -> None:
    """``calculation``, ``choice_filter`` and ``required_message`` of one question into its document.

    ``expression`` is the importer's reader of an expression cell (curly quotes straightened, with a
    warning).
    """
    kind = item["type"]
    calculation = expression(survey, row, record, "calculation")
    if kind == "calculate":
        if calculation is not None:
            item["calculation"] = calculation
        item.pop("required", None)
    elif calculation is not None:
        importer.findings.warn(
            survey.place(row, "calculation", record),
            Msg(
                N_(
                    "a calculation on a %(kind)s question is not imported: only calculate rows compute "
                    "a value"
                ),
                kind=kind,
            ),
        )
    choice_filter = expression(survey, row, record, "choice_filter")
    if choice_filter is not None:
        if kind in ("select_one", "select_multiple"):
            item["choice_filter"] = choice_filter
        else:
            importer.findings.warn(
                survey.place(row, "choice_filter", record),
                Msg(
                    N_("a choice_filter on a %(kind)s question is not imported: only selects have choices"),
                    kind=kind,
                ),
            )
    if "required_message" in record:
        if item.get("required"):
            item["required_message"] = importer.text(record["required_message"])
        else:
            importer.findings.warn(
                survey.place(row, "required_message", record),
                Msg(N_("required_message is not imported: the question is not required")),
            )
