"""The route × role table, one module per feature.

Each module defines ``RULES: dict[str, str]`` (endpoint → least role, ``PUBLIC`` or ``API``) and may define
``samples(survey, run_id) -> dict[str, Any]`` with values for its URL arguments.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

PUBLIC = "public"
API = "api"

SampleFunction = Callable[[Any, int], dict[str, Any]]


def collect_rules() -> tuple[dict[str, str], list[SampleFunction]]:
    rules: dict[str, str] = {}
    samples: list[SampleFunction] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        clash = set(rules) & set(module.RULES)
        if clash:
            raise ValueError(f"{info.name}: endpoints already in another rules module: {sorted(clash)}")
        rules.update(module.RULES)
        if hasattr(module, "samples"):
            samples.append(module.samples)
    return rules, samples
