"""Property-based: any workbook of XLSForm-looking cells is imported or reported, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.xlsform import ImportOptions, import_xlsform
from tests.questionnaires.xlsform_corpus import write_workbook

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADERS = [
    "type",
    "name",
    "label",
    "label::English (en)",
    "label::Indonesian (id)",
    "label:Français",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "choice_filter",
    "default",
    "spi_dimension",
    "spi_indicator",
    "spi_direction",
    "spi_weight",
    "spi_min",
    "spi_max",
    "dimension",
    "indicator",
    "bind::relevant",
    "media::image",
    "label::Nowhere",
    "",
    "calculation",
]
TYPES = [
    "select_one yn",
    "select one yn",
    "select_multiple yn",
    "select_one yn or_other",
    "select_one nolist",
    "integer",
    "decimal",
    "text",
    "note",
    "begin_group",
    "begin group",
    "end_group",
    "end group",
    "begin_repeat",
    "end_repeat",
    "geopoint",
    "calculate",
    "date",
    "start",
    "deviceid",
    "select_one",
    "select_one_from_file x.csv",
    "slider",
    "",
]
cell = st.one_of(
    st.none(),
    st.sampled_from(TYPES),
    st.sampled_from(
        ["q1", "q2", "g1", "yes", "1", "${q1} = 'yes'", "${q9}", ". > 1", "‘yes’", "risk", "x y"]
    ),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
rows = st.lists(st.lists(cell, min_size=0, max_size=8), max_size=12)
choice_rows = st.lists(
    st.lists(
        st.one_of(st.none(), st.sampled_from(["yn", "yes", "no", "Yes", "x y", "spi_value"]), cell),
        max_size=5,
    ),
    max_size=6,
)


@FUZZ
@given(
    header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
    survey=rows,
    choices=choice_rows,
    settings_row=st.lists(cell, max_size=4),
    language=st.sampled_from([None, "en", "id", "xx-bad!"]),
    skip=st.booleans(),
)
def test_any_workbook_is_imported_or_reported(
    header: list[str],
    survey: list[list[Any]],
    choices: list[list[Any]],
    settings_row: list[Any],
    language: str | None,
    skip: bool,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(
            Path(folder) / "fuzz.xlsx",
            [header, *survey],
            [["list_name", "name", "label", "spi_value", "spi_missing"], *choices] if choices else (),
            [["form_id", "default_language", "spi_group", "version"], settings_row] if settings_row else (),
        )
        result = import_xlsform(path, ImportOptions(language=language, skip_refused=skip))
    if result.questionnaire is None:
        assert result.problems, "refused without saying why"
    else:
        assert result.problems == []
    for problem in [*result.problems, *result.warnings]:
        assert problem.message.strip()
