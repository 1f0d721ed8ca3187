"""Administration at a city's scale: bulk invitations, duplicate, archive and delete, correction cases."""

from __future__ import annotations

RULES: dict[str, str] = {
    "admin_invitations.bulk": "admin",
}
