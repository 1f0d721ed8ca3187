"""Files of responses: CSV, XLSX, SPSS ``.sav``, Stata ``.dta``, written from the wide export layout.

The responses input is the wide export layout: the :data:`META_COLUMNS`, then one column per item id.
Cells hold what the export layout holds: option codes (``str``) for ``select_one``, space-separated codes for
``select_multiple`` (a list is accepted too), numbers, text; missing is ``NA``/``None``/``NaN``.

Rules (documented for users in ``docs/exports.md``):

* **Formula injection** (CSV): a text cell that starts with ``= + - @``, a tab or a carriage return gets a
  leading ``'`` (OWASP, "CSV Injection"), unless the whole cell is a number such as ``-3`` or ``+62``:
  numeric codes like ``-9`` must survive. XLSX cells are written as strings, never as formulas or links.
* **select_one** in ``.sav``/``.dta``: when every code of the item's scale is an integer (``1``, ``-9``),
  the variable is numeric with value labels; otherwise it holds the code as a string. SPSS gets value labels
  for string codes too; Stata cannot label strings, so there the ``values`` mapping is the reference.
  In ``.sav``, numeric codes of "don't know"/"not applicable" options are declared user-missing.
* **select_multiple** in ``.sav``/``.dta``: one 0/1 variable per option, named ``item__code``; all of them
  missing when the item was not answered.
* Text missing values are written as empty strings in ``.sav``/``.dta`` (neither format has missing strings).
* Variable names are sanitised per format (Stata: ASCII letters, digits, ``_``, at most 32 characters, not
  starting with a digit, not a reserved word; SPSS: at most 64 bytes, starting with a letter, not ending in
  ``.`` or ``_``, not a reserved word), made unique ignoring case; the writers return the mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
import pyreadstat

from questionnaires.model import Item, ItemType, Questionnaire, Scale, ScaleKind
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
_META_NUMERIC = ("weight", "duration_seconds")

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
    out = _flatten_multiple(frame, items)
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
    dtypes.update({"weight": "Float64", "duration_seconds": "Float64", "open_access": "boolean"})
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
    return pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": options})  # type: ignore[call-overload]


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
    """One row per option of every scale: scale, code, value, missing kind, labels in each language."""
    languages = list(dict.fromkeys([*questionnaire.languages, "id", "en"]))
    rows = []
    for scale in questionnaire.scales.values():
        for option in scale.options:
            row: dict[str, Any] = {
                "scale": scale.id,
                "code": option.code,
                "value": option.value,
                "missing": option.missing.value if option.missing else None,
            }
            row.update({f"label_{lang}": option.label.get(lang, "") for lang in languages})
            rows.append(row)
    return pd.DataFrame(
        rows, columns=["scale", "code", "value", "missing", *[f"label_{x}" for x in languages]]
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
    data = _flatten_multiple(frame, items)
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
class LabelledData:
    """What a ``.sav``/``.dta`` file holds, before writing: data, labels and the variable-name mapping.

    ``variables`` has one row per written variable: ``name`` (in the file), ``column`` (in the export
    layout), ``option`` (the option code of a ``select_multiple`` indicator, else missing), ``label``,
    ``storage`` (``numeric``, ``string`` or ``date``) and ``renamed`` (the name differs from the natural one,
    ``column`` or ``column__option``).
    """

    format: Format
    data: pd.DataFrame
    column_labels: dict[str, str | None]
    value_labels: dict[str, dict[Any, str]]
    missing_values: dict[str, list[float]]
    measures: dict[str, str]
    variables: pd.DataFrame


def _integer_codes(scale: Scale) -> bool:
    return all(_INTEGER_CODE.fullmatch(o.code) for o in scale.options)


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
    missing_values: dict[str, list[float]] = {}
    measures: dict[str, str] = {}
    mapping: list[dict[str, Any]] = []

    def add(
        natural: str,
        column: str,
        option: str | None,
        values: Any,
        label: str,
        storage: str,
        labelled: bool = False,
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
                "renamed": name != natural,
            }
        )
        return name

    yes_no = {0: value_label(lab["no"]), 1: value_label(lab["yes"])}
    for column in frame.columns:
        column = str(column)
        series = frame[column]
        item = items.get(column)
        if item is None:
            label = pick(META_LABELS[column], language, column)
            if column in _META_NUMERIC:
                name = add(
                    column, column, None, pd.to_numeric(series).astype(float).to_numpy(), label, "numeric"
                )
                measures[name] = "scale"
            elif column == "open_access":
                flags = series.map(lambda v: np.nan if _is_missing(v) else float(bool(v))).astype(float)
                name = add(column, column, None, flags.to_numpy(), label, "numeric", labelled=True)
                value_labels[name] = yes_no
                measures[name] = "nominal"
            elif column == "submitted_on":
                dates = _as_dates(series)
                name = add(
                    column,
                    column,
                    None,
                    dates if dates is not None else series,
                    label,
                    "date" if dates is not None else "string",
                )
            else:
                name = add(column, column, None, series, label, "string")
                measures[name] = "nominal"
            continue

        label = pick(item.label, language, item.id)
        scale = questionnaire.scale_of(item)
        if item.type.is_choice and scale is not None:
            _check_codes(frame, item, scale)
        if item.type is ItemType.SELECT_ONE and scale is not None and _integer_codes(scale):
            numbers = series.map(lambda v: np.nan if _is_missing(v) else float(int(str(v)))).astype(float)
            name = add(item.id, item.id, None, numbers.to_numpy(), label, "numeric", labelled=True)
            value_labels[name] = {
                int(o.code): value_label(pick(o.label, language, o.code)) for o in scale.options
            }
            missing_values[name] = [float(o.code) for o in scale.options if o.missing is not None]
            measures[name] = "ordinal" if scale.kind is ScaleKind.ORDINAL else "nominal"
        elif item.type is ItemType.SELECT_ONE:
            name = add(item.id, item.id, None, series, label, "string")
            if scale is not None and fmt == "sav":
                value_labels[name] = {
                    o.code: value_label(pick(o.label, language, o.code)) for o in scale.options
                }
            measures[name] = "nominal"
        elif item.type is ItemType.SELECT_MULTIPLE and scale is not None:
            chosen = series.map(_multi_codes)
            for option in scale.options:
                flags = chosen.map(
                    lambda codes, c=option.code: np.nan if codes is None else float(c in codes)
                )
                option_label = f"{label}: {pick(option.label, language, option.code)}"
                name = add(
                    f"{item.id}__{option.code}",
                    item.id,
                    option.code,
                    flags.astype(float).to_numpy(),
                    option_label,
                    "numeric",
                    labelled=True,
                )
                value_labels[name] = {0: value_label(lab["not_selected"]), 1: value_label(lab["selected"])}
                measures[name] = "nominal"
        elif item.type.is_number:
            name = add(
                item.id, item.id, None, pd.to_numeric(series).astype(float).to_numpy(), label, "numeric"
            )
            measures[name] = "scale"
        elif item.type.stores_answer:
            name = add(item.id, item.id, None, series, label, "string")
            measures[name] = "nominal"

    data = pd.DataFrame(columns, index=range(len(frame)))
    return LabelledData(
        format=fmt,
        data=data,
        column_labels=labels,
        value_labels=value_labels,
        missing_values={k: v for k, v in missing_values.items() if v},
        measures=measures,
        variables=pd.DataFrame(mapping, columns=["name", "column", "option", "label", "storage", "renamed"]),
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
        missing_ranges={k: list(v[:3]) for k, v in content.missing_values.items()},
        variable_measure=content.measures,
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
        version=15,
    )
    return content.variables


# Results ----------------------------------------------------------------------------------------------------
