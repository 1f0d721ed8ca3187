"""The R script and the Stata do-file shipped with every responses download, and the ZIP that holds them.

Each script loads the file beside it with variable labels, value labels and "don't know"/"not applicable"
declared missing, the same variables a ``.sav``/``.dta`` file holds (``docs/exports.md``):

* **R** (package ``haven``): ``.sav`` and ``.dta`` are read as they are (``read_sav(user_na = TRUE)``,
  ``read_dta``); a CSV or XLSX file is read and rebuilt: choice codes become the numbers of
  :func:`~survey_app.domain.files.numeric_codes` as ``labelled_spss`` vectors whose missing options are
  ``na_values``, ``select_multiple`` answers become one 0/1 variable per option, dates become ``Date``.
* **Stata** (14 or later): a ``.dta`` file is opened with ``use``; a CSV (``import delimited``) or XLSX
  (``import excel``) file is rebuilt like the ``.dta``, missing options as ``.a``/``.b``; a ``.sav`` file is
  read with ``import spss`` (Stata 16 or later) and its user-missing codes turned into ``.a``/``.b``.

The scripts are generated from the same :func:`~survey_app.domain.files.labelled_data` content as the
files, so names, codes and labels agree by construction.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from questionnaires.model import Item, ItemType, Questionnaire
from survey_app.domain.files import (
    STATA_LONG_MAX,
    NumericCode,
    labelled_data,
    numeric_codes,
    response_items,
    stata_name,
)
from survey_app.reporting.labels import pick, resolve_labels

DownloadFormat = Literal["csv", "xlsx", "sav", "dta"]
Kind = Literal["string", "decimal", "integer", "date", "flag", "coded", "indicator"]


@dataclass(frozen=True)
class Variable:
    """One variable of the loaded data and where it comes from."""

    r_name: str  # as in the .sav file (and the data frame the R script builds)
    stata_name: str  # as in the .dta file
    spss_name: str
    column: str  # in the export layout (the CSV/XLSX column)
    position: int  # 1-based column number in the CSV/XLSX file
    kind: Kind
    label_r: str
    label_stata: str
    option: str = ""  # the option of a select_multiple indicator
    codes: Mapping[str, NumericCode] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # option code -> value label
    wide: bool = False  # an integer beyond Stata's long


def load_plan(frame: pd.DataFrame, questionnaire: Questionnaire, language: str = "id") -> list[Variable]:
    """The variables both scripts build, from the ``.sav`` and ``.dta`` content of ``frame``."""
    sav = labelled_data(frame, questionnaire, "sav", language=language).variables
    dta = labelled_data(frame, questionnaire, "dta", language=language).variables
    items: dict[str, Item] = {i.id: i for i in response_items(frame, questionnaire)}
    position = {str(c): k for k, c in enumerate(frame.columns, start=1)}
    out = []
    for s, d in zip(sav.itertuples(), dta.itertuples(), strict=True):
        column = str(s.column)
        item = items.get(column)
        option = str(s.option) if isinstance(s.option, str) else ""
        codes: Mapping[str, NumericCode] = {}
        labels: Mapping[str, str] = {}
        wide = False
        kind: Kind
        if item is None:
            meta_kinds: dict[str, Kind] = {
                "weight": "decimal",
                "duration_seconds": "integer",
                "open_access": "flag",
                "submitted_on": "date" if s.storage == "date" else "string",
            }
            kind = meta_kinds.get(column, "string")
        elif item.type.is_choice and (scale := questionnaire.scale_of(item)) is not None:
            kind = "indicator" if item.type is ItemType.SELECT_MULTIPLE else "coded"
            codes = numeric_codes(scale)
            labels = {o.code: pick(o.label, language, o.code) for o in scale.options}
        elif item.type is ItemType.DATE:
            kind = "date" if s.storage == "date" else "string"
        elif item.type is ItemType.INTEGER:
            kind = "integer"
        elif item.type.is_number:
            kind = "decimal"
        else:
            kind = "string"
        if kind == "integer":
            numbers = pd.to_numeric(frame[column], errors="coerce").dropna()
            wide = bool((numbers.abs() > STATA_LONG_MAX).any())
        out.append(
            Variable(
                r_name=str(s.name),
                stata_name=str(d.name),
                spss_name=str(s.name),
                column=column,
                position=position[column],
                kind=kind,
                label_r=str(s.label),
                label_stata=str(d.label),
                option=option,
                codes=codes,
                labels=labels,
                wide=wide,
            )
        )
    return out


# R ----------------------------------------------------------------------------------------------------------


def _r(text: str) -> str:
    """An R string literal (JSON's escapes are R's)."""
    return json.dumps(text, ensure_ascii=False)


def _r_vector(pairs: Sequence[tuple[str, Any]]) -> str:
    return "c(" + ", ".join(f"{_r(k)} = {v}" for k, v in pairs) + ")"


_R_HELPERS = """\
# A choice item: its codes as the numbers of the .sav file, missing options declared missing.
coded <- function(x, codes, labels, na_values, label) {
  labelled_spss(unname(codes[x]), labels = labels, na_values = na_values, label = label)
}
# One option of a select_multiple item: 1 chosen, 0 not; a missing option ("don't know") answered alone
# gives every other option its missing code, since whether they apply is unknown.
chosen <- function(x, code, missing, labels, na_values, label) {
  value <- as.numeric(vapply(strsplit(ifelse(is.na(x), "", x), " ", fixed = TRUE),
                             function(p) code %in% p, logical(1)))
  if (!(code %in% names(missing))) {
    alone <- !is.na(x) & x %in% names(missing)
    value[alone] <- unname(missing[x[alone]])
  }
  value[is.na(x)] <- NA
  labelled_spss(value, labels = labels, na_values = na_values, label = label)
}
with_label <- function(x, label) {
  attr(x, "label") <- label
  x
}
# Text that a spreadsheet would run as a formula was written with a leading apostrophe: taken off again.
text <- function(x, label) {
  with_label(sub("^'(?=[-=+@\\t\\r])", "", as.character(x), perl = TRUE), label)
}
"""


def r_script(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    fmt: DownloadFormat,
    filename: str,
    *,
    language: str = "id",
    title: str = "",
    plan: Sequence[Variable] | None = None,
) -> str:
    """An R script that loads ``filename`` (a download of ``frame`` in ``fmt``) with its labels.

    ``plan`` is :func:`load_plan` of the same frame, when the caller already has it."""
    plan = plan if plan is not None else load_plan(frame, questionnaire, language)
    lines = [
        f"# {title or questionnaire.id}: {questionnaire.id} {questionnaire.version}",
        f'# Loads {filename} with variable labels, value labels and "don\'t know" / "not applicable"',
        "# answers as user-missing values (labelled_spss), as the SPSS .sav download holds them.",
        '# Needs the R package haven: install.packages("haven").',
        f"# Run it in the folder that holds {filename}: Rscript <this file>, or source() it in R.",
        "# The numbers of the answer codes: the values sheet of the XLSX download, docs/exports.md.",
        "",
        "library(haven)",
        "",
    ]
    if fmt == "sav":
        lines += [f"responses <- read_sav({_r(filename)}, user_na = TRUE)", ""]
        return "\n".join(lines + _r_footer())
    if fmt == "dta":
        lines += [
            '# "Don\'t know" is Stata\'s .a and "not applicable" .b: tagged NA in R (haven::na_tag()).',
            f"responses <- read_dta({_r(filename)})",
            "",
        ]
        return "\n".join(lines + _r_footer())
    if fmt == "csv":
        lines += [
            f'raw <- utils::read.csv({_r(filename)}, colClasses = "character", na.strings = "",',
            '                       check.names = FALSE, fileEncoding = "UTF-8-BOM")',
        ]
    else:
        types = {}
        for variable in plan:
            types[variable.position] = {
                "decimal": "numeric",
                "integer": "numeric",
                "flag": "numeric",
                "date": "date",
            }.get(variable.kind, "text")
        col_types = ", ".join(_r(types[k]) for k in sorted(types))
        lines += [
            "library(readxl)",
            f'raw <- read_excel({_r(filename)}, sheet = "data", col_types = c({col_types}))',
            "raw <- as.data.frame(raw, check.names = FALSE)",
        ]
    lines += ["", _R_HELPERS, "responses <- list()"]
    lab = resolve_labels(language if language in ("id", "en") else "en")
    for variable in plan:
        source = f"raw[[{variable.position}]]"
        target = f"responses[[{_r(variable.r_name)}]]"
        label = _r(variable.label_r)
        if variable.kind == "string":
            convert = "text" if fmt == "csv" else "with_label"  # only the CSV protects formulas
            lines.append(f"{target} <- {convert}({source}, {label})")
        elif variable.kind == "decimal":
            lines.append(f"{target} <- with_label(as.numeric({source}), {label})")
        elif variable.kind == "integer":
            convert = "as.numeric" if variable.wide else "as.integer"
            lines.append(f"{target} <- with_label({convert}(as.numeric({source})), {label})")
        elif variable.kind == "date":
            lines.append(f"{target} <- with_label(as.Date({source}), {label})")
        elif variable.kind == "flag":
            flag_labels = _r_vector([(lab["no"], 0), (lab["yes"], 1)])
            lines.append(
                f"{target} <- labelled(as.numeric({source}), labels = {flag_labels}, label = {label})"
            )
        elif variable.kind == "coded":
            numbers = _r_vector([(c, n.number) for c, n in variable.codes.items()])
            texts = _r_vector([(variable.labels[c], n.number) for c, n in variable.codes.items()])
            missing_numbers = [str(n.number) for n in variable.codes.values() if isinstance(n.stata, str)]
            lines += [
                f"{target} <- coded({source},",
                f"  codes = {numbers},",
                f"  labels = {texts},",
                f"  na_values = c({', '.join(missing_numbers)}), label = {label})",
            ]
        else:
            own_missing = isinstance(variable.codes[variable.option].stata, str)
            missing = [(c, n.number) for c, n in variable.codes.items() if isinstance(n.stata, str)]
            pairs = [(lab["not_selected"], 0), (lab["selected"], 1)]
            if not own_missing:
                pairs += [(variable.labels[c], n) for c, n in missing]
            declared = "" if own_missing else ", ".join(str(n) for _, n in missing)
            lines += [
                f"{target} <- chosen({source}, {_r(variable.option)},",
                f"  missing = {_r_vector(missing) if missing else 'c()'},",
                f"  labels = {_r_vector(pairs)},",
                f"  na_values = c({declared}), label = {label})",
            ]
    lines += ["responses <- tibble::as_tibble(responses)", "rm(raw, coded, chosen, with_label, text)", ""]
    return "\n".join(lines + _r_footer())


def _r_footer() -> list[str]:
    return [
        "# is.na() is TRUE for the missing codes; as_factor(responses) gives factors with the labels;",
        "# zap_missing(responses) turns the missing codes into plain NA.",
        "print(responses)",
        "",
    ]


# Stata ------------------------------------------------------------------------------------------------------


def _stata(text: str) -> str:
    """A Stata compound-quoted string: no line breaks, and no macro expansion of ` or $."""
    text = re.sub(r"[\r\n\t]+", " ", text).replace("\\", "\\\\").replace("`", "\\`").replace("$", "\\$")
    return f'`"{text}"\''


def _excel_column(k: int) -> str:
    letters = ""
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def stata_do_file(
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    fmt: DownloadFormat,
    filename: str,
    *,
    language: str = "id",
    title: str = "",
    plan: Sequence[Variable] | None = None,
) -> str:
    """A Stata do-file that loads ``filename`` (a download of ``frame`` in ``fmt``) with its labels.

    ``plan`` is :func:`load_plan` of the same frame, when the caller already has it."""
    plan = plan if plan is not None else load_plan(frame, questionnaire, language)
    lab = resolve_labels(language if language in ("id", "en") else "en")
    header = [
        f"* {title or questionnaire.id}: {questionnaire.id} {questionnaire.version}",
        f'* Loads {filename} with variable labels, value labels, "don\'t know" as .a and',
        '* "not applicable" as .b, as the Stata .dta download holds them.',
        f"* Run it in the folder that holds {filename}: do <this file>",
        "",
    ]
    if fmt == "dta":
        return "\n".join([*header, "version 14", f'use "{filename}", clear', "describe", "label list", ""])

    label_sets: dict[tuple[tuple[str, str], ...], str] = {}
    used: set[str] = set()
    defines: list[str] = []

    def label_set(base: str, pairs: Sequence[tuple[str, str]]) -> str:
        key = tuple(pairs)
        if key not in label_sets:
            name = stata_name(base)[:32]
            k = 1
            while name.lower() in used:
                k += 1
                name = stata_name(base)[: 32 - len(str(k)) - 1] + f"_{k}"
            used.add(name.lower())
            label_sets[key] = name
            body = " ".join(f"{value} {_stata(text)}" for value, text in pairs)
            defines.append(f"label define {name} {body}, replace")
        return label_sets[key]

    def value_pairs(variable: Variable) -> list[tuple[str, str]]:
        if variable.kind == "coded":
            return [(n.stata_text, variable.labels[c]) for c, n in variable.codes.items()]
        pairs = [("0", lab["not_selected"]), ("1", lab["selected"])]
        if not isinstance(variable.codes[variable.option].stata, str):
            pairs += [
                (n.stata_text, variable.labels[c])
                for c, n in variable.codes.items()
                if isinstance(n.stata, str)
            ]
        return pairs

    def scale_base(variable: Variable) -> str:
        scale = questionnaire.scale_of(questionnaire.item(variable.column))
        base = scale.id if scale is not None else variable.column
        return base + ("__chosen" if variable.kind == "indicator" else "")

    yes_no = [("0", lab["no"]), ("1", lab["yes"])]
    body: list[str] = []
    if fmt == "sav":
        prelude = [
            "version 16",
            "* import spss came with Stata 16; with Stata 14 or 15 use the .dta download instead.",
            "* The user-missing codes of SPSS become .a/.b below (mvdecode changes nothing where the import",
            "* already made them missing). The .dta download holds the same without this step.",
            f'import spss using "{filename}", clear',
            "",
        ]
        for variable in plan:
            if variable.kind not in ("coded", "indicator", "flag"):
                continue
            name = variable.spss_name
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name):
                body.append(f"* {name}: not a Stata name, shortened by import spss; label it by hand")
                continue
            if variable.kind == "flag":
                body.append(f"label values {name} {label_set('yes_no_01', yes_no)}")
                continue
            missing = [n for n in variable.codes.values() if isinstance(n.stata, str)]
            if (
                variable.kind == "indicator"
                and variable.option is not None
                and isinstance(variable.codes[variable.option].stata, str)
            ):
                missing = []
            if missing:
                rules = " \\ ".join(f"{n.number}={n.stata_text}" for n in missing)
                body.append(f"mvdecode {name}, mv({rules})")
            body.append(f"label values {name} {label_set(scale_base(variable), value_pairs(variable))}")
        return "\n".join([*header, *prelude, *defines, "", *body, "describe", ""])

    count = len(frame.columns)
    if fmt == "csv":
        prelude = [
            "version 14",
            "* Every column as text, read by position: the names are set below.",
            f'import delimited using "{filename}", delimiters(",") varnames(nonames) rowrange(2) '
            'stringcols(_all) bindquote(strict) encoding("utf-8") clear',
        ]
        raw = [f"v{k}" for k in range(1, count + 1)]
    else:
        prelude = [
            "version 14",
            "* Every column as text, read by position (Excel's column letters): the names are set below.",
            f'import excel using "{filename}", sheet("data") cellrange(A2) allstring clear',
        ]
        raw = [_excel_column(k) for k in range(1, count + 1)]
    body.append("* A column that is empty in every row may be left out by the import.")
    for k, name in enumerate(raw, start=1):
        body += [
            f"capture confirm variable {name}",
            f'if _rc generate str1 {name} = ""',
            f"rename {name} __c{k}",
        ]
    body.append("")
    names = []
    for variable in plan:
        name = variable.stata_name
        names.append(name)
        source = f"__c{variable.position}"
        if variable.kind == "string":
            body.append(f"clonevar {name} = {source}")
            if fmt == "csv":
                body += [
                    "* Text a spreadsheet would run as a formula was written with a leading apostrophe.",
                    f'replace {name} = usubstr({name}, 2, .) if ustrregexm({name}, "^\'[-=+@\\t\\r]")',
                ]
        elif variable.kind == "decimal":
            body.append(f"generate double {name} = real({source})")
        elif variable.kind == "integer":
            body.append(f"generate {'double' if variable.wide else 'long'} {name} = real({source})")
        elif variable.kind == "date":
            body += [
                f'generate int {name} = date({source}, "YMD")',
                "* An Excel date read as text is a day number counted from 30 December 1899.",
                f"replace {name} = real({source}) + td(30dec1899) "
                f"if missing({name}) & !missing(real({source}))",
                f"format {name} %tdCCYY-NN-DD",
            ]
        elif variable.kind == "flag":
            body += [
                f'generate byte {name} = cond(inlist(upper({source}), "1", "TRUE"), 1, '
                f'cond(inlist(upper({source}), "0", "FALSE"), 0, .))',
                f"label values {name} {label_set('yes_no_01', yes_no)}",
            ]
        elif variable.kind == "coded":
            body.append(f"generate double {name} = .")
            for code, number in variable.codes.items():
                body.append(f"replace {name} = {number.stata_text} if {source} == {_stata(code)}")
            body.append(f"label values {name} {label_set(scale_base(variable), value_pairs(variable))}")
        else:
            body.append(
                f'generate double {name} = cond({source} == "", ., '
                f'strpos(" " + {source} + " ", {_stata(" " + variable.option + " ")}) > 0)'
            )
            if not isinstance(variable.codes[variable.option].stata, str):
                for code, number in variable.codes.items():
                    if isinstance(number.stata, str):
                        body.append(f"replace {name} = {number.stata_text} if {source} == {_stata(code)}")
            body.append(f"label values {name} {label_set(scale_base(variable), value_pairs(variable))}")
        body.append(f"label variable {name} {_stata(variable.label_stata)}")
    body += [
        "",
        "drop __c*",
        "order " + " ".join(names),
        "compress",
        "describe",
        "",
    ]
    return "\n".join([*header, *prelude, "", *defines, "", *body])


# The bundle -------------------------------------------------------------------------------------------------


def download_bundle(
    data: bytes,
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    fmt: DownloadFormat,
    stem: str,
    *,
    language: str = "id",
    title: str = "",
    when: datetime | None = None,
) -> bytes:
    """A ZIP with ``<stem>.<fmt>``, ``<stem>.R`` and ``<stem>.do`` (the scripts load the data file)."""
    filename = f"{stem}.{fmt}"
    plan = load_plan(frame, questionnaire, language)
    files = [
        (filename, data),
        (
            f"{stem}.R",
            r_script(frame, questionnaire, fmt, filename, language=language, title=title, plan=plan).encode(),
        ),
        (
            f"{stem}.do",
            stata_do_file(
                frame, questionnaire, fmt, filename, language=language, title=title, plan=plan
            ).encode(),
        ),
    ]
    stamp = (when or datetime(1980, 1, 1)).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content)
    return buffer.getvalue()
