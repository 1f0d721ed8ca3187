"""Campaign set-up (create, edit, open, close, counter poster) and institutions."""

from __future__ import annotations

from typing import Any

RULES: dict[str, str] = {
    "admin_campaign_setup.create": "admin",
    "admin_campaign_setup.edit": "admin",
    "admin_campaign_setup.open_": "admin",
    "admin_campaign_setup.close": "admin",
    "admin_campaign_setup.poster": "admin",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    return {}
