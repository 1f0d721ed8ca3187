"""The examples in the reporting modules' docstrings run (pytest's doctest collection covers tests/ only)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["labels", "charts", "tables"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"survey_app.reporting.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
