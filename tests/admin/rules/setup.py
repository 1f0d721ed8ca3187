"""Campaign set-up (create, edit, open, close, counter poster) and institutions."""

from __future__ import annotations

from typing import Any

RULES: dict[str, str] = {
    "admin_campaign_setup.create": "admin",
    "admin_campaign_setup.edit": "admin",
    "admin_campaign_setup.open_": "admin",
    "admin_campaign_setup.close": "admin",
    "admin_campaign_setup.poster": "admin",
    "admin_institutions.index": "admin",
    "admin_institutions.create": "admin",
    "admin_institutions.show": "admin",
    "admin_institutions.unit": "admin",
    "admin_institutions.import_csv": "admin",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    return {"code": "KOTA"}
