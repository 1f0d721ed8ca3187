"""pyxform as the reference: its JSON of a form, and conversions (with ODK Validate) by pyxform 4 and 3.0.

pyxform 4 is a test dependency (``pip install -e '.[test]'``). pyxform 3.0, as KoboToolbox pins it, lives in
a venv of its own (it cannot share one with pyxform 4): ``python3 -m venv /tmp/pyxform3 &&
/tmp/pyxform3/bin/pip install 'pyxform==3.0.*'``, or name its python in ``PYXFORM3_PYTHON``. ODK Validate
ships with pyxform and needs Java; without ``java`` on the PATH the tests that need it skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PYXFORM3_DEFAULT = Path("/tmp/pyxform3/bin/python")


@dataclass(frozen=True)
class Converter:
    label: str
    python: str


def pyxform4() -> Converter:
    pytest.importorskip("pyxform", reason="pyxform is a test dependency: pip install -e '.[test]'")
    return Converter("pyxform 4", sys.executable)


def pyxform3() -> Converter:
    python = os.environ.get("PYXFORM3_PYTHON") or (str(PYXFORM3_DEFAULT) if PYXFORM3_DEFAULT.exists() else "")
    if not python:
        pytest.skip(
            "pyxform 3.0 is not installed: python3 -m venv /tmp/pyxform3 && "
            "/tmp/pyxform3/bin/pip install 'pyxform==3.0.*' (or set PYXFORM3_PYTHON)"
        )
    version = subprocess.run(
        [python, "-c", "import pyxform; print(pyxform.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if version.returncode != 0 or not version.stdout.startswith("3.0"):
        pytest.skip(
            f"{python} has no pyxform 3.0 ({version.stdout.strip() or version.stderr.strip()[-200:]})"
        )
    return Converter("pyxform 3.0", python)


def require_java() -> None:
    if shutil.which("java") is None:
        pytest.skip("ODK Validate needs Java (apt-get install default-jre-headless)")


def convert(converter: Converter, path: Path, validate: bool = True) -> dict[str, Any]:
    """pyxform's ``--json`` report of converting ``path`` (``code`` 100: OK, 101: OK with warnings)."""
    flag = "--odk_validate" if validate else "--skip_validate"
    done = subprocess.run(
        [
            converter.python,
            "-m",
            "pyxform.xls2xform",
            str(path),
            str(path.with_suffix(".xml")),
            flag,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # pyxform writes its --json report to stderr (pyxform 3 and 4 alike).
    output = done.stderr + "\n" + done.stdout
    line = next((x for x in reversed(output.splitlines()) if x.startswith("{")), None)
    if line is None:
        return {"code": 999, "message": (done.stdout + done.stderr)[-3000:], "warnings": []}
    report: dict[str, Any] = json.loads(line)
    return report


def pyxform_json(path: Path) -> dict[str, Any]:
    from pyxform.xls2json import parse_file_to_json

    result: dict[str, Any] = parse_file_to_json(str(path))
    return result


_GROUPS = {"group"}
_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "integer": "integer",
    "decimal": "decimal",
    "text": "text",
    "note": "note",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "dateTime": "datetime",
    "calculate": "calculate",
}


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    choices: tuple[str, ...] | None
    #: The relevance of the groups around it, combined as the importer combines them.
    group_relevant: str | None
    relevant: str | None
    constraint: str | None
    required: bool
    calculation: str | None = None
    choice_filter: str | None = None
    #: For a filtered select: each choice's name with its values in the columns the filter reads.
    filtered_choices: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None = None


def _filtered(choices: list[dict[str, Any]], choice_filter: str | None) -> Any:
    if not choice_filter:
        return None
    from questionnaires.expressions import compile_expression

    columns = sorted(compile_expression(choice_filter).columns - {"name"})
    return tuple(
        (str(c["name"]), tuple((k, str(c[k])) for k in columns if c.get(k) not in (None, "")))
        for c in choices
    )


def _normal(expression: str | None) -> str | None:
    """``../name`` (pyxform's output form inside groups) back to ``${name}``; whitespace collapsed."""
    if not expression:
        return None
    text = re.sub(r"(?:\.\./)+([A-Za-z_][A-Za-z0-9_.-]*)", r"${\1}", expression)
    return " ".join(text.split())


def pyxform_questions(document: dict[str, Any]) -> list[Question]:
    """The questions pyxform's JSON asks, in order, leaving out metadata and pyxform's own ``meta`` group."""
    lists: dict[str, Any] = document.get("choices", {})
    found: list[Question] = []

    def walk(children: list[dict[str, Any]], relevants: list[str]) -> None:
        for child in children:
            kind = child.get("type")
            if kind in _GROUPS:
                if child.get("name") == "meta" and child.get("control", {}).get("bodyless"):
                    continue
                relevant = child.get("bind", {}).get("relevant")
                walk(child.get("children", []), [*relevants, *([relevant] if relevant else [])])
                continue
            if kind not in _TYPES:
                continue
            bind = child.get("bind", {})
            qtype = _TYPES[kind]
            if qtype == "text" and child.get("control", {}).get("appearance") == "multiline":
                qtype = "long_text"
            choices = child.get("choices") or lists.get(child.get("itemset", ""))
            found.append(
                Question(
                    name=child["name"],
                    type=qtype,
                    choices=tuple(re.sub(r"\s+", "_", c["name"]) for c in choices) if choices else None,
                    group_relevant=(
                        _normal(relevants[0])
                        if len(relevants) == 1
                        else _normal(" and ".join(f"({r})" for r in relevants))
                        if relevants
                        else None
                    ),
                    relevant=_normal(bind.get("relevant")),
                    constraint=_normal(bind.get("constraint")),
                    required=str(bind.get("required", "no")).lower() in ("yes", "true", "true()"),
                    calculation=_normal(bind.get("calculate")),
                    choice_filter=_normal(child.get("choice_filter")),
                    filtered_choices=_filtered(choices or [], child.get("choice_filter")),
                )
            )

    walk(document.get("children", []), [])
    return found


def our_questions(questionnaire: Any, with_choices: bool = True) -> list[Question]:
    found = []
    for section in questionnaire.sections:
        for item in section.items:
            scale = questionnaire.scale_of(item)
            found.append(
                Question(
                    name=item.id,
                    type=item.type.value,
                    choices=tuple(o.code for o in scale.options) if scale and with_choices else None,
                    group_relevant=_normal(section.relevant),
                    relevant=_normal(item.relevant),
                    constraint=_normal(item.constraint),
                    required=item.required,
                    calculation=_normal(item.calculation),
                    choice_filter=_normal(item.choice_filter),
                    filtered_choices=(
                        tuple((o.code, tuple(sorted(o.attributes.items()))) for o in scale.options)
                        if scale and item.choice_filter
                        else None
                    ),
                )
            )
    return found
