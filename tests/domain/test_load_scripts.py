"""The R scripts and Stata do-files shipped with each download: R haven reads the .sav/.dta files with their
labels and missing values, each shipped R script runs and builds the same data as the .sav file, and each
do-file names the file's variables and codes (there is no Stata to run it)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from questionnaires.model import ItemType, Questionnaire
from survey_app.domain import files, load_scripts

FORMATS = ("csv", "xlsx", "sav", "dta")


def _r_with_haven() -> str | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    probe = subprocess.run(
        [rscript, "-e", "library(haven); library(readxl)"], capture_output=True, text=True, check=False
    )
    return rscript if probe.returncode == 0 else None


RSCRIPT = _r_with_haven()
needs_r = pytest.mark.skipif(RSCRIPT is None, reason="Rscript with the packages haven and readxl not found")


def run_r(directory: Path, code: str) -> str:
    assert RSCRIPT is not None
    (directory / "check.R").write_text(code, encoding="utf-8")
    done = subprocess.run(
        [RSCRIPT, "check.R"], cwd=directory, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write_all(directory: Path, frame: pd.DataFrame, questionnaire: Questionnaire) -> None:
    files.write_responses_csv(frame, questionnaire, directory / "x.csv", bom=True)
    files.write_responses_xlsx(frame, questionnaire, directory / "x.xlsx")
    files.write_responses_sav(frame, questionnaire, directory / "x.sav")
    files.write_responses_dta(frame, questionnaire, directory / "x.dta")
    for fmt in FORMATS:
        (directory / f"{fmt}.R").write_text(
            load_scripts.r_script(frame, questionnaire, fmt, f"x.{fmt}"), encoding="utf-8"
        )


@needs_r
def test_haven_reads_labels_user_missing_tagged_missing_and_dates(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    write_all(tmp_path, responses, questionnaire)
    out = run_r(
        tmp_path,
        """
library(haven)
s <- read_sav("x.sav", user_na = TRUE)
d <- read_dta("x.dta")
show <- function(key, x) cat(key, paste(x, collapse = "|"), "\\n", sep = "\\t")
show("sav_lihat", as.numeric(s$q_lihat))
show("sav_lihat_labels", paste(names(attr(s$q_lihat, "labels")), attr(s$q_lihat, "labels"), sep = "="))
show("sav_lihat_na_values", attr(s$q_lihat, "na_values"))
show("sav_lihat_is_na", is.na(s$q_lihat))
show("sav_frek_na_values", attr(s$q_frek, "na_values"))
show("sav_uang", as.numeric(s$q_jenis__uang))
show("sav_date", class(s$submitted_on))
show("sav_date1", format(s$submitted_on[1]))
show("sav_label", attr(s$q_lihat, "label"))
show("dta_lihat_tag", ifelse(is.na(na_tag(d$q_lihat)), "-", na_tag(d$q_lihat)))
lihat <- attr(d$q_lihat, "labels")
show("dta_lihat_labels", paste(names(lihat), na_tag(lihat), sep = "="))
show("dta_frek_tag", ifelse(is.na(na_tag(d$q_frek)), "-", na_tag(d$q_frek)))
show("dta_date", class(d$submitted_on))
show("dta_date1", format(d$submitted_on[1]))
""",
    )
    got = dict(line.split("\t", 1) for line in out.strip().splitlines())
    got = {k: v.strip("\t ").split("|") for k, v in got.items()}
    assert got["sav_lihat"] == ["0", "1", "-8", "0", "NA", "1"]
    assert got["sav_lihat_labels"] == ["Ya=0", "Tidak=1", "Tidak tahu=-8"]
    assert got["sav_lihat_na_values"] == ["-8"]
    assert got["sav_lihat_is_na"] == ["FALSE", "FALSE", "TRUE", "FALSE", "TRUE", "FALSE"]
    assert got["sav_frek_na_values"] == ["9"]
    assert got["sav_uang"] == ["1", "NA", "-8", "0", "0", "0"]
    assert got["sav_date"] == ["Date"]
    assert got["sav_date1"] == ["2024-05-01"]
    assert got["sav_label"] == ["Apakah Anda melihat suap?"]
    assert got["dta_lihat_tag"] == ["-", "-", "a", "-", "-", "-"]
    assert got["dta_lihat_labels"] == ["Ya=NA", "Tidak=NA", "Tidak tahu=a"]
    assert got["dta_frek_tag"] == ["-", "-", "a", "-", "-", "-"]
    assert got["dta_date"] == ["Date"]
    assert got["dta_date1"] == ["2024-05-01"]


@needs_r
@pytest.mark.parametrize("fmt", FORMATS)
def test_shipped_r_script_builds_the_data_of_the_sav_file(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, fmt: str
) -> None:
    # A select_multiple answered with nothing chosen is an empty cell in CSV and XLSX, which reads back as
    # not answered (docs/exports.md): the one difference between the formats, left out here.
    responses = responses.assign(q_jenis=responses["q_jenis"].replace("", None))
    write_all(tmp_path, responses, questionnaire)
    out = run_r(
        tmp_path,
        f"""
library(haven)
invisible(capture.output(source("{fmt}.R")))
built <- responses
reference <- read_sav("x.sav", user_na = TRUE)
if ("{fmt}" == "dta") {{
  # Stata's names and extended missing values: compare with the .dta file itself.
  reference <- read_dta("x.dta")
}}
stopifnot(identical(names(built), names(reference)))
plain <- function(x) {{
  if (is.character(x)) x[!is.na(x) & x == ""] <- NA  # .sav/.dta have no missing strings
  if (inherits(x, "Date")) return(format(x))
  if (is.numeric(x)) return(as.numeric(x))
  as.vector(x)
}}
for (name in names(reference)) {{
  a <- built[[name]]
  b <- reference[[name]]
  if (!identical(plain(a), plain(b))) stop("values differ: ", name)
  if (!identical(as.numeric(attr(a, "labels")), as.numeric(attr(b, "labels")))) stop("codes differ: ", name)
  if (!identical(names(attr(a, "labels")), names(attr(b, "labels")))) stop("labels differ: ", name)
  if (!identical(as.numeric(attr(a, "na_values")), as.numeric(attr(b, "na_values")))) stop("missing: ", name)
  if (!identical(attr(a, "label"), attr(b, "label"))) stop("variable label differs: ", name)
  if (!is.character(b) && !identical(is.na(a), is.na(b))) stop("missing cells differ: ", name)
}}
cat("same", length(names(reference)), "variables\\n")
""",
    )
    assert (
        out.strip()
        == f"same {len(files.labelled_data(responses, questionnaire, 'sav').data.columns)} variables"
    )


# The Stata do-file, checked without Stata -------------------------------------------------------------------

STATA_COMMANDS = {
    "version",
    "import",
    "use",
    "label",
    "capture",
    "if",
    "rename",
    "clonevar",
    "generate",
    "replace",
    "format",
    "drop",
    "order",
    "compress",
    "describe",
    "mvdecode",
}


def parse_label_defines(do_file: str) -> dict[str, dict[str, str]]:
    sets = {}
    for name, body in re.findall(r"^label define (\w+) (.*), replace$", do_file, flags=re.M):
        pairs = re.findall(r"(-?\d+|\.[a-z]) `\"(.*?)\"'", body)
        sets[name] = dict(pairs)
    return sets


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_do_file_names_the_variables_and_codes_of_the_dta_file(
    tmp_path: Path, questionnaire: Questionnaire, responses: pd.DataFrame, fmt: str
) -> None:
    do_file = load_scripts.stata_do_file(responses, questionnaire, fmt, f"x.{fmt}")
    files.write_responses_dta(responses, questionnaire, tmp_path / "x.dta")
    data, meta = pyreadstat.read_dta(str(tmp_path / "x.dta"), user_missing=True)
    lines = [line for line in do_file.splitlines() if line and not line.startswith("*")]
    assert {line.split()[0] for line in lines} <= STATA_COMMANDS
    assert lines[0] == "version 14"
    assert (
        f'import delimited using "x.{fmt}"' if fmt == "csv" else f'import excel using "x.{fmt}"'
    ) in do_file
    # Compound quotes are balanced on every line, so no string runs into the next.
    for line in lines:
        assert line.count('`"') == line.count("\"'"), line
    # Every variable of the .dta file, in its order, with its label.
    assert f"order {' '.join(data.columns)}" in lines
    for name, label in meta.column_names_to_labels.items():
        assert f'label variable {name} `"{label}"\'' in lines
    # Every code of every choice item becomes the number (or .a) the .dta file holds, with the same labels.
    sets = parse_label_defines(do_file)
    attached = dict(re.findall(r"^label values (\w+) (\w+)$", do_file, flags=re.M))
    for name, labels in meta.variable_value_labels.items():
        expected = {(f".{k}" if isinstance(k, str) else str(int(k))): v for k, v in labels.items()}
        assert sets[attached[name]] == expected, name
    position = {c: k for k, c in enumerate(responses.columns, start=1)}
    for item in questionnaire.iter_items():
        if item.type is not ItemType.SELECT_ONE:
            continue
        scale = questionnaire.scale_of(item)
        assert scale is not None
        name = files.stata_name(item.id)[:28]
        for code, number in files.numeric_codes(scale).items():
            assert f'replace {name} = {number.stata_text} if __c{position[item.id]} == `"{code}"\'' in lines
    assert 'replace q_jenis__uang = .a if __c13 == `"dk"\'' in lines
    assert "generate long duration_seconds = real(__c10)" in lines


def test_do_files_for_dta_and_sav(questionnaire: Questionnaire, responses: pd.DataFrame) -> None:
    dta = load_scripts.stata_do_file(responses, questionnaire, "dta", "x.dta")
    assert 'use "x.dta", clear' in dta.splitlines()
    sav = load_scripts.stata_do_file(responses, questionnaire, "sav", "x.sav")
    assert 'import spss using "x.sav", clear' in sav.splitlines()
    assert "mvdecode q_lihat, mv(-8=.a)" in sav.splitlines()
    assert "mvdecode q_frek, mv(9=.a)" in sav.splitlines()
    # The 58-character SPSS name is no Stata name: said, not guessed.
    assert f"* {'berapa_kali_anda_diminta_imbalan_di_luar_ketentuan_resmi'}: not a Stata name" in sav


def test_stata_strings_cannot_expand_macros() -> None:
    assert load_scripts._stata('Biaya `x\' $HOME "kutip"\nbaris') == '`"Biaya \\`x\' \\$HOME "kutip" baris"\''


def test_bundle_holds_the_file_and_both_scripts(
    questionnaire: Questionnaire, responses: pd.DataFrame
) -> None:
    buffer = io.StringIO()
    files.write_responses_csv(responses, questionnaire, buffer)
    data = buffer.getvalue().encode()
    bundle = load_scripts.download_bundle(data, responses, questionnaire, "csv", "spi-internal-responses")
    archive = zipfile.ZipFile(io.BytesIO(bundle))
    assert archive.namelist() == [
        "spi-internal-responses.csv",
        "spi-internal-responses.R",
        "spi-internal-responses.do",
    ]
    assert archive.read("spi-internal-responses.csv") == data
    assert 'read.csv("spi-internal-responses.csv"' in archive.read("spi-internal-responses.R").decode()
    assert bundle == load_scripts.download_bundle(
        data, responses, questionnaire, "csv", "spi-internal-responses"
    )


@pytest.fixture
def with_not_applicable(questionnaire: Questionnaire) -> Questionnaire:
    """The yes/no scale with a "not applicable" option (code ``tb``) beside "don't know"."""
    from dataclasses import replace

    from questionnaires.model import Missing, Option

    yes_no = questionnaire.scales["ya_tidak"]
    extra = Option("tb", {"id": "Tidak berlaku", "en": "Not applicable"}, missing=Missing.NOT_APPLICABLE)
    scales = {**questionnaire.scales, "ya_tidak": replace(yes_no, options=(*yes_no.options, extra))}
    return replace(questionnaire, scales=scales)


def test_not_applicable_is_minus_9_user_missing_and_stata_b(
    tmp_path: Path, with_not_applicable: Questionnaire, responses: pd.DataFrame
) -> None:
    frame = responses.assign(q_lihat=["ya", "tb", "dk", "tidak", None, "tb"])
    files.write_responses_sav(frame, with_not_applicable, tmp_path / "x.sav")
    files.write_responses_dta(frame, with_not_applicable, tmp_path / "x.dta")
    sav, sav_meta = pyreadstat.read_sav(str(tmp_path / "x.sav"), user_missing=True)
    assert sav["q_lihat"].tolist()[:4] == [0, -9, -8, 1]
    assert sav_meta.missing_ranges["q_lihat"] == [{"lo": -8.0, "hi": -8.0}, {"lo": -9.0, "hi": -9.0}]
    assert sav_meta.variable_value_labels["q_lihat"][-9] == "Tidak berlaku"
    plain, _ = pyreadstat.read_sav(str(tmp_path / "x.sav"))  # without user_missing: missing
    assert plain["q_lihat"].isna().tolist() == [False, True, True, False, True, True]
    dta, dta_meta = pyreadstat.read_dta(str(tmp_path / "x.dta"), user_missing=True)
    assert dta["q_lihat"].tolist()[:4] == [0, "b", "a", 1]
    assert dta_meta.missing_user_values["q_lihat"] == ["a", "b"]
    assert dta_meta.variable_value_labels["q_lihat"]["b"] == "Tidak berlaku"
    if RSCRIPT is None:
        return
    out = run_r(
        tmp_path,
        'library(haven); d <- read_dta("x.dta"); s <- read_sav("x.sav", user_na = TRUE)\n'
        'cat(ifelse(is.na(na_tag(d$q_lihat)), "-", na_tag(d$q_lihat)), "\\n")\n'
        'cat(attr(s$q_lihat, "na_values"), "\\n")\n',
    )
    tags, na_values = out.strip().splitlines()
    assert tags.split() == ["-", "b", "a", "-", "-", "b"]
    assert sorted(na_values.split()) == ["-8", "-9"]
