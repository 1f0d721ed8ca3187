"""Results: compute job status page and JSON, publish/unpublish, trend across campaigns."""

from __future__ import annotations

from typing import Any

RULES: dict[str, str] = {
    "admin_results.job": "analyst",
    "admin_results.job_status_json": "analyst",
    "admin_results.publish": "analyst",
    "admin_results.trend": "viewer",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    # No such job: an analyst's request answers 404, which is still "access granted" for the table.
    return {"job_id": 999_999, "action": "publish", "which": "overall"}
