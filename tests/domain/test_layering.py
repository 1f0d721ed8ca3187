"""The domain's rules that import-linter cannot see: no request-bound names, no commits.

import-linter (``make lint``) checks which modules import which; these check names inside the modules: a
domain function that read ``request`` or ``current_user`` would work in the console and break in the CLI or
a job, and one that committed would take the transaction away from its caller.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import survey_app

DOMAIN = Path(survey_app.__file__).parent / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))
#: What belongs to a request or a page, never to a rule.
WEB_NAMES = {
    "request",
    "session",
    "current_user",
    "flash",
    "url_for",
    "render_template",
    "redirect",
    "abort",
    "g",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_domain_has_modules() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_no_request_bound_names_are_imported(path: Path) -> None:
    imported = {
        alias.asname or alias.name
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask_login")
        for alias in node.names
    }
    assert not imported & WEB_NAMES, f"{path.name} imports {sorted(imported & WEB_NAMES)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_nothing_commits_or_rolls_back(path: Path) -> None:
    calls = [
        node.lineno
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]
    assert not calls, f"{path.name} commits or rolls back on line(s) {calls}: the caller owns the transaction"
