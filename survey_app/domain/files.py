"""Files of responses: CSV, XLSX, SPSS ``.sav``, Stata ``.dta``, written from the wide export layout.

The responses input is the wide export layout: the :data:`META_COLUMNS`, then one column per item id.
Cells hold what the export layout holds: option codes (``str``) for ``select_one``, space-separated codes for
``select_multiple`` (a list is accepted too), numbers, text; missing is ``NA``/``None``/``NaN``.

Rules (documented for users in ``docs/exports.md``):

* **Formula injection** (CSV): a text cell that starts with ``= + - @``, a tab or a carriage return gets a
  leading ``'`` (OWASP, "CSV Injection"), unless the whole cell is a number such as ``-3`` or ``+62``:
  numeric codes like ``-9`` must survive. XLSX cells are written as strings, never as formulas or links.
* **select_one** in ``.sav``/``.dta``: numeric with value labels, the codes mapped to numbers by
  :func:`numeric_codes` (integer codes stay themselves; other scales use the options' integer values or their
  positions; "don't know" −8, "not applicable" −9 unless their codes are integers). In ``.sav`` the numbers
  of "don't know"/"not applicable" are declared user-missing; in ``.dta`` they are Stata's extended missing
  values ``.a``/``.b``, labelled.
* **select_multiple** in ``.sav``/``.dta``: one 0/1 variable per option, named ``item__code``; all of them
  missing when the item was not answered; an answer that is only a missing option ("don't know") gives the
  other options that option's missing code (−8 user-missing / ``.a``).
* **Types**: whole numbers (``integer`` items, ``duration_seconds``) are integers in every format (SPSS
  ``F8.0``, Stata ``long``; CSV/XLSX ``312``, not ``312.0``), ``open_access`` is 0/1 (labelled in
  ``.sav``/``.dta``), ``submitted_on`` a date (SPSS ``DATE11``, Stata ``%td``, an XLSX date cell).
  ``.dta`` files are format 118 (Stata 14 and later).
* Text missing values are written as empty strings in ``.sav``/``.dta`` (neither format has missing strings).
* Variable names are sanitised per format (Stata: ASCII letters, digits, ``_``, at most 32 characters, not
  starting with a digit, not a reserved word; SPSS: at most 64 bytes, starting with a letter, not ending in
  ``.`` or ``_``, not a reserved word), made unique ignoring case; the writers return the mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
import pyreadstat

from questionnaires.model import Item, ItemType, Missing, Option, Questionnaire, Scale, ScaleKind
from survey_app.reporting.labels import pick, resolve_labels

META_COLUMNS: tuple[str, ...] = (
    "response_id",
    "campaign",
    "group",
    "unit",
    "stratum",
    "weight",
    "open_access",
    "questionnaire_hash",
    "submitted_on",
    "duration_seconds",
)

#: Descriptions of the metadata columns, used as variable labels.
META_LABELS: Mapping[str, Mapping[str, str]] = {
    "response_id": {"id": "ID jawaban (acak)", "en": "Response id (random)"},
    "campaign": {"id": "Survei", "en": "Campaign"},
    "group": {"id": "Kelompok responden", "en": "Respondent group"},
    "unit": {"id": "Unit", "en": "Unit"},
    "stratum": {"id": "Strata", "en": "Stratum"},
    "weight": {"id": "Bobot sampel", "en": "Sampling weight"},
    "open_access": {"id": "Tautan terbuka (bukan undangan)", "en": "Open-access link (not an invitation)"},
    "questionnaire_hash": {"id": "Hash versi kuesioner", "en": "Questionnaire version hash"},
    "submitted_on": {"id": "Tanggal pengisian", "en": "Submission date"},
    "duration_seconds": {"id": "Durasi pengisian (detik)", "en": "Time to complete (seconds)"},
}

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_INTEGER_CODE = re.compile(r"-?\d+")

Format = Literal["sav", "dta"]

#: Excel's sheet limit is 1,048,576 rows, one of which is the header.
XLSX_MAX_DATA_ROWS = 1_048_575

STATA_NAME_MAX = 32
#: pyreadstat names a variable's value-label set after the variable plus a running number, and that name has
#: Stata's 32-character limit too: labelled variables keep 4 characters free (up to 9,999 label sets).
STATA_LABELLED_NAME_MAX = 28
STATA_LABEL_MAX = 80  # characters, Stata 14+ (.dta 118)
SPSS_NAME_MAX_BYTES = 64
SPSS_LABEL_MAX = 256  # characters shown by SPSS for a variable label
SPSS_VALUE_LABEL_MAX_BYTES = 120
STATA_RESERVED = frozenset(
    [
        *("_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_N"),
        *("_pi", "_pred", "_rc", "_skip", "strL", "using", "with"),
    ]
    + [f"str{i}" for i in range(1, 2046)]
)
SPSS_RESERVED = frozenset(["ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"])


# Formula injection ------------------------------------------------------------------------------------------


def escape_formula(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula; numbers stay as they are.

    >>> escape_formula("=HYPERLINK(\\"http://x\\")"), escape_formula("-3"), escape_formula("+62 812")
    ('\\'=HYPERLINK("http://x")', '-3', "'+62 812")
    """
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with :func:`escape_formula` applied to every text cell (numeric columns are untouched)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        out[column] = series.map(lambda v: escape_formula(v) if isinstance(v, str) else v)
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(lambda v: escape_formula(v) if isinstance(v, str) else v)
    return out


# Checking the input -----------------------------------------------------------------------------------------


def response_items(frame: pd.DataFrame, questionnaire: Questionnaire) -> list[Item]:
    """The items behind the item columns of ``frame``, in column order; a clear error for a bad layout."""
    missing = [c for c in META_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"responses: missing metadata column(s) {', '.join(missing)}")
    known = {item.id: item for item in questionnaire.iter_items()}
    items = []
    for column in frame.columns:
        if column in META_COLUMNS:
            continue
        item = known.get(str(column))
        if item is None:
            raise ValueError(
                f"responses: column {column!r} is neither a metadata column nor an item of questionnaire "
                f"{questionnaire.id} version {questionnaire.version}"
            )
        items.append(item)
    return items


def _multi_codes(cell: Any) -> list[str] | None:
    if isinstance(cell, list | tuple):
        return [str(c) for c in cell]
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return None
    return str(cell).split()


def _is_missing(cell: Any) -> bool:
    return cell is None or (not isinstance(cell, str | list | tuple) and bool(pd.isna(cell)))


def _response_id(frame: pd.DataFrame, row: int) -> str:
    return str(frame["response_id"].iloc[row])


def _check_codes(frame: pd.DataFrame, item: Item, scale: Scale) -> None:
    codes = {o.code for o in scale.options}
    for row, cell in enumerate(frame[item.id]):
        if _is_missing(cell):
            continue
        given = _multi_codes(cell) if item.type is ItemType.SELECT_MULTIPLE else [str(cell)]
        for code in given or ():
            if code not in codes:
                raise ValueError(
                    f"responses: item {item.id!r}, response {_response_id(frame, row)!r}: code {code!r} "
                    f"is not an option of scale {scale.id!r} (expected one of {', '.join(sorted(codes))})"
                )


# CSV and XLSX -----------------------------------------------------------------------------------------------


def _flatten_multiple(frame: pd.DataFrame, items: Sequence[Item]) -> pd.DataFrame:
    out = frame.copy()
    for item in items:
        if (
            item.type is ItemType.SELECT_MULTIPLE
            and out[item.id].map(lambda v: isinstance(v, list | tuple)).any()
        ):
            out[item.id] = out[item.id].map(
                lambda v: " ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out


def _typed(frame: pd.DataFrame, items: Sequence[Item], *, dates: bool = False) -> pd.DataFrame:
    """Whole numbers as integers (a column with a missing cell would otherwise be floats, written ``100.0``),
    ``open_access`` as 0/1 and, with ``dates``, ``submitted_on`` and date items as dates (XLSX)."""
    out = frame.copy()
    for item in items:
        if item.type is ItemType.INTEGER:
            out[item.id] = _integers(out[item.id], f"item {item.id!r}")
    out["duration_seconds"] = _integers(out["duration_seconds"], "column 'duration_seconds'")
    out["open_access"] = pd.array(
        [pd.NA if _is_missing(v) else int(bool(v)) for v in out["open_access"]], dtype="Int8"
    )
    if dates:
        for column in ["submitted_on", *(i.id for i in items if i.type is ItemType.DATE)]:
            parsed = _as_dates(out[column])
            if parsed is not None:
                out[column] = parsed
    return out


def write_responses_csv(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    target: str | Path | IO[str],
    *,
    bom: bool = False,
    escape: bool = True,
) -> None:
    """Responses as CSV (UTF-8; ``bom=True`` adds a byte-order mark so Excel detects UTF-8).

    ``escape`` protects spreadsheet users against formula injection (see module docs); turn it off only for a
    file a program, never a spreadsheet, will read.
    """
    items = response_items(frame, questionnaire)
    out = _typed(_flatten_multiple(frame, items), items)
    if escape:
        out = escape_formulas(out)
    if isinstance(target, str | Path):
        out.to_csv(target, index=False, encoding="utf-8-sig" if bom else "utf-8")
    else:
        if bom:
            target.write("\ufeff")
        out.to_csv(target, index=False)


def responses_csv_dtypes(questionnaire: Questionnaire) -> dict[str, str]:
    """``dtype=`` for ``pandas.read_csv`` of a responses CSV, so codes stay text and counts stay integers."""
    dtypes = {c: "string" for c in META_COLUMNS}
    dtypes.update({"weight": "Float64", "duration_seconds": "Int64", "open_access": "boolean"})
    for item in questionnaire.iter_items():
        if item.type is ItemType.INTEGER:
            dtypes[item.id] = "Int64"
        elif item.type is ItemType.DECIMAL:
            dtypes[item.id] = "Float64"
        elif item.type.stores_answer:
            dtypes[item.id] = "string"
    return dtypes


def _xlsx_writer(target: str | Path | IO[bytes]) -> Any:
    # Strings are written as strings: never turned into formulas, links or numbers.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    return pd.ExcelWriter(  # type: ignore[call-overload]
        target,
        engine="xlsxwriter",
        engine_kwargs={"options": options},
        date_format="yyyy-mm-dd",
        datetime_format="yyyy-mm-dd hh:mm:ss",
    )


def variables_table(frame: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """One row per column of the export layout: id, labels in each language, type, scale, section."""
    items = {i.id: i for i in response_items(frame, questionnaire)}
    section_of = {i.id: s.id for s in questionnaire.sections for i in s.items}
    languages = list(dict.fromkeys([*questionnaire.languages, "id", "en"]))
    rows = []
    for column in frame.columns:
        item = items.get(str(column))
        row: dict[str, Any] = {"variable": str(column)}
        if item is None:
            row.update({f"label_{lang}": META_LABELS[str(column)].get(lang, "") for lang in languages})
            row.update({"type": "metadata", "scale": None, "section": None})
        else:
            row.update({f"label_{lang}": item.label.get(lang, "") for lang in languages})
            row.update({"type": item.type.value, "scale": item.scale, "section": section_of[item.id]})
        rows.append(row)
    return pd.DataFrame(rows)


def values_table(questionnaire: Questionnaire) -> pd.DataFrame:
    """One row per option of every scale: scale, code, value, missing kind, the numbers the option is in
    ``.sav`` (``spss``) and ``.dta`` (``stata``, ``.a`` for an extended missing value) files
    (:func:`numeric_codes`), labels in each language."""
    languages = list(dict.fromkeys([*questionnaire.languages, "id", "en"]))
    rows = []
    for scale in questionnaire.scales.values():
        numbers = numeric_codes(scale)
        for option in scale.options:
            row: dict[str, Any] = {
                "scale": scale.id,
                "code": option.code,
                "value": option.value,
                "missing": option.missing.value if option.missing else None,
                "spss": numbers[option.code].number,
                "stata": numbers[option.code].stata_text,
            }
            row.update({f"label_{lang}": option.label.get(lang, "") for lang in languages})
            rows.append(row)
    return pd.DataFrame(
        rows,
        columns=["scale", "code", "value", "missing", "spss", "stata", *[f"label_{x}" for x in languages]],
    )


def write_responses_xlsx(
    frame: pd.DataFrame, questionnaire: Questionnaire, target: str | Path | IO[bytes]
) -> None:
    """Responses as XLSX: sheets ``data``, ``variables`` (labels, type, scale), ``values`` (codes, labels)."""
    if len(frame) > XLSX_MAX_DATA_ROWS:
        raise ValueError(
            f"responses: {len(frame):,} rows do not fit in an XLSX sheet (at most {XLSX_MAX_DATA_ROWS:,}); "
            "export CSV, SPSS or Stata instead"
        )
    items = response_items(frame, questionnaire)
    data = _typed(_flatten_multiple(frame, items), items, dates=True)
    with _xlsx_writer(target) as writer:
        data.to_excel(writer, sheet_name="data", index=False)
        variables_table(frame, questionnaire).to_excel(writer, sheet_name="variables", index=False)
        values_table(questionnaire).to_excel(writer, sheet_name="values", index=False)
        for name in ("data", "variables", "values"):
            writer.sheets[name].freeze_panes(1, 0)


# SPSS and Stata ---------------------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _truncate_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _truncate_bytes(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    while len((text + "…").encode("utf-8")) > limit:
        text = text[:-1]
    return text + "…"


def stata_name(raw: str) -> str:
    """A valid Stata variable name for ``raw`` (before making it unique).

    >>> stata_name("1_bagian"), stata_name("long"), stata_name("kepuasan_layanan_publik_di_kantor_pusat")
    ('v1_bagian', 'long_', 'kepuasan_layanan_publik_di_kanto')
    """
    name = re.sub(r"[^A-Za-z0-9_]", "_", _ascii(raw)) or "v"
    if name[0].isdigit():
        name = "v" + name
    name = name[:STATA_NAME_MAX]
    if name in STATA_RESERVED:
        name = name[: STATA_NAME_MAX - 1] + "_"
    return name


def spss_name(raw: str) -> str:
    """A valid SPSS variable name for ``raw`` (before making it unique).

    >>> spss_name("_q1"), spss_name("with"), spss_name("pilihan__lain_")
    ('v_q1', 'v_with', 'pilihan__lain')
    """
    name = re.sub(r"[^A-Za-z0-9_.]", "_", _ascii(raw)) or "v"
    if not name[0].isalpha():
        name = "v" + name
    name = name[:SPSS_NAME_MAX_BYTES].rstrip("._") or "v"
    if name.upper() in SPSS_RESERVED:
        name = "v_" + name
    return name


def _unique(name: str, used: set[str], limit: int) -> str:
    candidate, k = name, 1
    while candidate.lower() in used:
        k += 1
        suffix = f"_{k}"
        candidate = name[: limit - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


@dataclass(frozen=True)
class NumericCode:
    """The number an option is written as in ``.sav``/``.dta`` files (see :func:`numeric_codes`).

    ``number`` is the value in SPSS (and in what the R scripts build from a CSV or XLSX file); ``stata`` is
    the same number, or for a "don't know"/"not applicable" option the letter of its extended missing value
    (``"a"`` is Stata's ``.a``).
    """

    number: int
    stata: int | str

    @property
    def stata_text(self) -> str:
        """As Stata writes it: ``1``, ``-8``, ``.a``."""
        return f".{self.stata}" if isinstance(self.stata, str) else str(self.stata)


#: Codes of "don't know" and "not applicable" options whose own codes are not numbers.
MISSING_NUMBERS: Mapping[Missing, int] = {Missing.DONT_KNOW: -8, Missing.NOT_APPLICABLE: -9}
#: Stata's extended missing values for them: ``.a`` don't know, ``.b`` not applicable, then ``.c`` … for any
#: further missing option of the same scale.
MISSING_LETTERS: Mapping[Missing, str] = {Missing.DONT_KNOW: "a", Missing.NOT_APPLICABLE: "b"}


def numeric_codes(scale: Scale) -> dict[str, NumericCode]:
    """The documented numeric mapping of a scale's option codes, in option order.

    Substantive options (not "don't know"/"not applicable"), in this order of preference:

    1. every code of the scale is an integer (``1``…``5``, ``9``): the code itself, missing options too;
    2. every substantive code is an integer: the code;
    3. every substantive option has a scoring value and the values are distinct integers (``ya`` 1,
       ``tidak`` 0): the value;
    4. otherwise the position in the scale, 1, 2, 3, …

    A missing option whose code is an integer keeps it; otherwise "don't know" is −8 and "not applicable"
    −9, and a second one of a kind (or a clash) takes the next free number below −9. In Stata every missing
    option is an extended missing value: the first "don't know" ``.a``, the first "not applicable" ``.b``, any
    other ``.c``, ``.d``, … in option order.

    >>> from questionnaires.model import Option
    >>> yes_no = Scale("ya_tidak", ScaleKind.NOMINAL, (Option("ya", {}, 1.0), Option("tidak", {}, 0.0),
    ...     Option("dk", {}, missing=Missing.DONT_KNOW)))
    >>> [(c, n.number, n.stata_text) for c, n in numeric_codes(yes_no).items()]
    [('ya', 1, '1'), ('tidak', 0, '0'), ('dk', -8, '.a')]
    """
    substantive = [o for o in scale.options if o.missing is None]
    numbers: dict[str, int] = {}
    if all(_INTEGER_CODE.fullmatch(o.code) for o in substantive):
        numbers = {o.code: int(o.code) for o in substantive}
    else:
        values = [o.value for o in substantive]
        if all(v is not None and float(v).is_integer() for v in values) and len(set(values)) == len(values):
            numbers = {o.code: int(o.value) for o in substantive if o.value is not None}
        else:
            numbers = {o.code: k for k, o in enumerate(substantive, start=1)}
    used = set(numbers.values())
    letters_used: set[str] = set()
    codes: dict[str, NumericCode] = {}
    spare = iter(range(-10, -(10**9), -1))
    spare_letters = iter("cdefghijklmnopqrstuvwxyz")
    for option in scale.options:
        if option.missing is None:
            codes[option.code] = NumericCode(numbers[option.code], numbers[option.code])
            continue
        number: int | None = int(option.code) if _INTEGER_CODE.fullmatch(option.code) else None
        if number is None or number in used:
            number = MISSING_NUMBERS[option.missing]
        while number in used:
            number = next(spare)
        used.add(number)
        letter = MISSING_LETTERS[option.missing]
        if letter in letters_used:
            letter = next(c for c in spare_letters if c not in letters_used)
        letters_used.add(letter)
        codes[option.code] = NumericCode(number, letter)
    return codes


def _file_value(code: NumericCode, fmt: Format) -> int | str:
    """The value a code is in a file: the number in ``.sav``, the number or missing letter in ``.dta``."""
    return code.number if fmt == "sav" else code.stata


def _indicator(
    given: list[str] | None, option: Option, codes: Mapping[str, NumericCode]
) -> NumericCode | None:
    """One option of a ``select_multiple`` answer: chosen 1, not chosen 0, not answered ``None``; a missing
    option ("don't know") answered alone gives the other options its code, since whether they apply is
    unknown."""
    if given is None:
        return None
    if option.missing is None and len(given) == 1 and isinstance(codes[given[0]].stata, str):
        return codes[given[0]]
    flag = int(option.code in given)
    return NumericCode(flag, flag)


@dataclass(frozen=True)
class LabelledData:
    """What a ``.sav``/``.dta`` file holds, before writing: data, labels and the variable-name mapping.

    ``variables`` has one row per written variable: ``name`` (in the file), ``column`` (in the export
    layout), ``option`` (the option code of a ``select_multiple`` indicator, else missing), ``label``,
    ``storage`` (``numeric``, ``string`` or ``date``), ``scale`` (the scale whose codes it holds) and
    ``renamed`` (the name differs from the natural one, ``column`` or ``column__option``).
    ``missing_values`` are SPSS's user-missing values (numbers); ``stata_missing`` the letters of Stata's
    extended missing values a variable uses (its cells hold the letter, as pyreadstat expects).
    """

    format: Format
    data: pd.DataFrame
    column_labels: dict[str, str | None]
    value_labels: dict[str, dict[Any, str]]
    missing_values: dict[str, list[Any]]
    stata_missing: dict[str, list[str]]
    measures: dict[str, str]
    formats: dict[str, str]
    variables: pd.DataFrame


def _spss_missing(numbers: Sequence[float], valid: Sequence[float]) -> list[Any]:
    """SPSS takes at most three discrete user-missing values, or one range and one value."""
    if len(numbers) <= 3:
        return list(numbers)
    low, high = min(numbers), max(numbers)
    if any(low <= v <= high for v in valid):
        raise ValueError(
            f"a scale has {len(numbers)} missing options whose codes SPSS cannot declare missing: at most "
            "three, or a range holding no other option's code"
        )
    return [{"lo": low, "hi": high}]


def _digits(numbers: Sequence[float]) -> int:
    return max([len(str(int(n))) for n in numbers if not pd.isna(n)] or [1])


def _decimals(numbers: Sequence[float]) -> int:
    # The shortest repr of each number says how many decimals it really has.
    places = [len(repr(float(n)).partition(".")[2].rstrip("0")) for n in numbers if not pd.isna(n)]
    return min(max([2, *places]), 6)


#: Stata's ``long`` holds integers up to this size; larger ones are written as doubles.
STATA_LONG_MAX = 2_147_483_620


def _integers(values: pd.Series, what: str) -> pd.Series:
    """``Int64`` numbers; a clear error for a cell that is not a whole number."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values[(numbers.isna() & values.map(lambda v: not _is_missing(v))) | (numbers % 1 != 0)]
    bad = bad[bad.map(lambda v: not _is_missing(v))]
    if len(bad):
        value = bad.iloc[0]
        value = value.item() if isinstance(value, np.generic) else value
        raise ValueError(f"responses: {what}: {value!r} is not a whole number")
    return numbers.astype("Int64")


def labelled_data(
    frame: pd.DataFrame, questionnaire: Questionnaire, fmt: Format, *, language: str = "id"
) -> LabelledData:
    """Build the ``.sav``/``.dta`` content of a responses frame (see the module docs for the rules)."""
    if fmt not in ("sav", "dta"):
        raise ValueError(f"format must be 'sav' or 'dta', not {fmt!r}")
    items = {i.id: i for i in response_items(frame, questionnaire)}
    lab = resolve_labels(language if language in ("id", "en") else "en")
    sanitise = stata_name if fmt == "dta" else spss_name
    name_limit = STATA_NAME_MAX if fmt == "dta" else SPSS_NAME_MAX_BYTES

    def var_label(text: str) -> str:
        return _truncate_chars(text, STATA_LABEL_MAX if fmt == "dta" else SPSS_LABEL_MAX)

    def value_label(text: str) -> str:
        return text if fmt == "dta" else _truncate_bytes(text, SPSS_VALUE_LABEL_MAX_BYTES)

    used: set[str] = set()
    columns: dict[str, Any] = {}
    labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing_values: dict[str, list[Any]] = {}
    stata_missing: dict[str, list[str]] = {}
    measures: dict[str, str] = {}
    formats: dict[str, str] = {}
    mapping: list[dict[str, Any]] = []

    def add(
        natural: str,
        column: str,
        option: str | None,
        values: Any,
        label: str,
        storage: str,
        labelled: bool = False,
        scale: str | None = None,
    ) -> str:
        limit = STATA_LABELLED_NAME_MAX if fmt == "dta" and labelled else name_limit
        name = _unique(sanitise(natural)[:limit], used, limit)
        if storage == "string":
            # Neither format has a missing string; readstat also rejects missing long (strL) strings.
            values = (
                pd.Series(values, dtype=object).map(lambda v: "" if _is_missing(v) else str(v)).to_numpy()
            )
        columns[name] = values
        labels[name] = var_label(label)
        mapping.append(
            {
                "name": name,
                "column": column,
                "option": option,
                "label": var_label(label),
                "storage": storage,
                "scale": scale,
                "renamed": name != natural,
            }
        )
        return name

    def add_integers(column: str, values: pd.Series, label: str) -> None:
        numbers = _integers(values, f"column {column!r}")
        present = numbers.dropna()
        fits_long = present.abs().le(STATA_LONG_MAX).all()
        if fmt == "dta" and fits_long:
            data: Any = numbers.astype("Int32")  # Stata long
        else:
            data = numbers.astype(float).to_numpy()
        name = add(column, column, None, data, label, "numeric")
        measures[name] = "scale"
        width = max(8, _digits(list(present.astype(float))) + 1)
        formats[name] = f"F{width}.0" if fmt == "sav" else ("%12.0g" if fits_long else "%20.0f")

    def add_decimals(column: str, values: pd.Series, label: str) -> None:
        numbers = pd.to_numeric(values).astype(float)
        name = add(column, column, None, numbers.to_numpy(), label, "numeric")
        measures[name] = "scale"
        places = _decimals(list(numbers))
        width = max(8, _digits(list(numbers)) + places + 2)
        formats[name] = f"F{width}.{places}" if fmt == "sav" else f"%{width + 1}.{places}f"

    def coded(
        name: str, cells: pd.Series, labels_by_code: Mapping[Any, str], possible: Iterable[NumericCode]
    ) -> Any:
        """Cells mapped to ``NumericCode`` (or ``None``) as the file's values, with labels and missing."""
        codes = list(possible)
        missing = [c for c in codes if isinstance(c.stata, str)]
        if fmt == "sav":
            values: Any = cells.map(lambda c: np.nan if c is None else float(c.number)).astype(float)
            missing_values[name] = _spss_missing(
                [float(c.number) for c in missing],
                [float(c.number) for c in codes if not isinstance(c.stata, str)],
            )
            formats[name] = f"F{max(len(str(c.number)) for c in codes)}.0"
        else:
            stata = cells.map(
                lambda c: np.nan if c is None else (c.stata if isinstance(c.stata, str) else float(c.stata))
            )
            if missing:
                # pyreadstat takes the letters of extended missing values in an object column.
                values = stata.astype(object)
                stata_missing[name] = [c.stata for c in missing if isinstance(c.stata, str)]
            else:
                values = stata.astype(float)
            formats[name] = "%8.0g"
        value_labels[name] = {key: value_label(text) for key, text in labels_by_code.items()}
        return values.to_numpy()

    def add_dates(column: str, series: pd.Series, label: str) -> None:
        dates = _as_dates(series)
        stored = dates if dates is not None else series
        name = add(column, column, None, stored, label, "date" if dates is not None else "string")
        if dates is not None:
            formats[name] = "DATE11" if fmt == "sav" else "%tdCCYY-NN-DD"

    yes_no = {0: value_label(lab["no"]), 1: value_label(lab["yes"])}
    for column in frame.columns:
        column = str(column)
        series = frame[column]
        item = items.get(column)
        if item is None:
            label = pick(META_LABELS[column], language, column)
            if column == "duration_seconds":
                add_integers(column, series, label)
            elif column == "weight":
                add_decimals(column, series, label)
            elif column == "open_access":
                flags = series.map(lambda v: np.nan if _is_missing(v) else float(bool(v))).astype(float)
                name = add(column, column, None, flags.to_numpy(), label, "numeric", labelled=True)
                value_labels[name] = yes_no
                measures[name] = "nominal"
                formats[name] = "F1.0" if fmt == "sav" else "%8.0g"
            elif column == "submitted_on":
                add_dates(column, series, label)
            else:
                name = add(column, column, None, series, label, "string")
                measures[name] = "nominal"
            continue

        label = pick(item.label, language, item.id)
        scale = questionnaire.scale_of(item)
        if item.type.is_choice and scale is not None:
            _check_codes(frame, item, scale)
        if item.type is ItemType.SELECT_ONE and scale is not None:
            codes = numeric_codes(scale)
            cells = series.map(lambda v, codes=codes: None if _is_missing(v) else codes[str(v)])
            texts: dict[Any, str] = {
                _file_value(codes[o.code], fmt): pick(o.label, language, o.code) for o in scale.options
            }
            name = add(item.id, item.id, None, None, label, "numeric", labelled=True, scale=scale.id)
            columns[name] = coded(name, cells, texts, codes.values())
            measures[name] = "ordinal" if scale.kind is ScaleKind.ORDINAL else "nominal"
        elif item.type is ItemType.SELECT_ONE:
            name = add(item.id, item.id, None, series, label, "string")
            measures[name] = "nominal"
        elif item.type is ItemType.SELECT_MULTIPLE and scale is not None:
            codes = numeric_codes(scale)
            missing_options = [o for o in scale.options if o.missing is not None]
            chosen = series.map(_multi_codes)
            for option in scale.options:
                option_label = f"{label}: {pick(option.label, language, option.code)}"
                name = add(
                    f"{item.id}__{option.code}",
                    item.id,
                    option.code,
                    None,
                    option_label,
                    "numeric",
                    labelled=True,
                    scale=scale.id,
                )
                possible = [NumericCode(0, 0), NumericCode(1, 1)]
                texts = {0: lab["not_selected"], 1: lab["selected"]}
                if option.missing is None:
                    for missing_option in missing_options:
                        number = codes[missing_option.code]
                        possible.append(number)
                        texts[_file_value(number, fmt)] = pick(
                            missing_option.label, language, missing_option.code
                        )
                cells = chosen.map(partial(_indicator, option=option, codes=codes))
                columns[name] = coded(name, cells, texts, possible)
                measures[name] = "nominal"
        elif item.type is ItemType.INTEGER:
            add_integers(item.id, series, label)
        elif item.type.is_number:
            add_decimals(item.id, series, label)
        elif item.type is ItemType.DATE:
            add_dates(item.id, series, label)
        elif item.type.stores_answer:
            # Times and date-times stay ISO text: SPSS and Stata have no time-of-day type that both read.
            name = add(item.id, item.id, None, series, label, "string")
            measures[name] = "nominal"

    data = pd.DataFrame(columns, index=range(len(frame)))
    return LabelledData(
        format=fmt,
        data=data,
        column_labels=labels,
        value_labels=value_labels,
        missing_values={k: v for k, v in missing_values.items() if v},
        stata_missing=stata_missing,
        measures=measures,
        formats=formats,
        variables=pd.DataFrame(
            mapping, columns=["name", "column", "option", "label", "storage", "scale", "renamed"]
        ),
    )


def _as_dates(series: pd.Series) -> np.ndarray | None:
    """``datetime.date`` objects when the column is dates (typed or ISO text), else ``None``."""
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    else:
        present = series.dropna()
        if not all(isinstance(v, date | str) for v in present):
            return None
        try:
            parsed = pd.to_datetime(series, format="ISO8601")
        except (ValueError, TypeError):
            return None
    return np.array([None if pd.isna(v) else v.date() for v in parsed], dtype=object)


def write_responses_sav(
    frame: pd.DataFrame, questionnaire: Questionnaire, path: str | Path, *, language: str = "id"
) -> pd.DataFrame:
    """Responses as SPSS ``.sav`` with variable and value labels; returns the variable-name mapping."""
    content = labelled_data(frame, questionnaire, "sav", language=language)
    pyreadstat.write_sav(
        content.data,
        str(path),
        file_label=_truncate_chars(f"{questionnaire.id} {questionnaire.version}", 64),
        column_labels=content.column_labels,
        variable_value_labels=content.value_labels,
        missing_ranges=content.missing_values,
        variable_measure=content.measures,
        variable_format=content.formats,
    )
    return content.variables


def write_responses_dta(
    frame: pd.DataFrame, questionnaire: Questionnaire, path: str | Path, *, language: str = "id"
) -> pd.DataFrame:
    """Responses as Stata ``.dta`` (format 118, Stata 14+) with labels; returns the variable-name mapping."""
    content = labelled_data(frame, questionnaire, "dta", language=language)
    pyreadstat.write_dta(
        content.data,
        str(path),
        file_label=_truncate_chars(f"{questionnaire.id} {questionnaire.version}", STATA_LABEL_MAX),
        column_labels=content.column_labels,
        variable_value_labels=content.value_labels,
        missing_user_values=content.stata_missing,
        variable_format=content.formats,
        # pyreadstat's ``version`` is Stata's: 14 writes file format 118 (Stata 14 and later); its default,
        # 15, writes format 119, which only Stata 15 and later open.
        version=14,
    )
    return content.variables


# Results ----------------------------------------------------------------------------------------------------
