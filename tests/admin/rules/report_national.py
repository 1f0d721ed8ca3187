"""The institution report (any reader of the run; an unpublished run answers 404) and the national figures
(admins)."""

from __future__ import annotations

from typing import Any

RULES: dict[str, str] = {
    "admin_results.report": "viewer",
    "admin_national.index": "admin",
    "admin_national.reset": "admin",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    return {"year": 2024}
