"""The JSON API (token authentication: route × role × token state in tests/api), the console's token pages."""

from __future__ import annotations

from typing import Any

from tests.admin.rules import API

RULES: dict[str, str] = {
    "api.openapi": API,
    "api.campaigns": API,
    "api.campaign": API,
    "api.results": API,
    "api.dimensions": API,
    "api.runs": API,
    "admin_api_tokens.index": "viewer",
    "admin_api_tokens.create": "viewer",
    "admin_api_tokens.revoke": "viewer",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    # No such token: a logged-in user's revoke answers 404, which is still "access granted" for the table.
    return {"token_id": 999_999}
