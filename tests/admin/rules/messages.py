"""Message texts in the console, the opt-out page, the gateway's status reports."""

from __future__ import annotations

from tests.admin.rules import API, PUBLIC

RULES = {
    "admin_messages.edit": "admin",
    "admin_messages.reset": "admin",
    "admin_messages.reminders": "admin",
    "optout.ask": PUBLIC,
    "optout.confirm": PUBLIC,
    "gateway_status.status": API,
}
