"""The examples in the reporting and file-writing modules' docstrings run, and there are some (pytest's
doctest collection runs them too; this also fails when a module loses its examples)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["survey_app.reporting.labels", "survey_app.reporting.charts", "survey_app.domain.files"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
