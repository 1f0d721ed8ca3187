"""Administration at a city's scale: bulk invitations, duplicate, archive and delete, correction cases."""

from __future__ import annotations

from typing import Any

RULES: dict[str, str] = {
    "admin_invitations.bulk": "admin",
    "admin_lifecycle.duplicate": "admin",
    "admin_lifecycle.archive": "admin",
    "admin_lifecycle.delete": "admin",
    "admin_corrections.edit": "admin",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    # A kind and key that exist for every role's walk; archiving is undone by nothing here, so the
    # questionnaire kind is used (an admin of all institutions only; others get 403, "access denied").
    return {"kind": "questionnaire", "key": "999999", "change": "archive"}
