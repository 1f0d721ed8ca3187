"""Respondent pages, login, dashboard, results, invitations, exports, audit log."""

from __future__ import annotations

from tests.admin.rules import PUBLIC

RULES: dict[str, str] = {
    "static": PUBLIC,
    "home.index": PUBLIC,
    "health.healthz": PUBLIC,
    "health.readyz": PUBLIC,
    "respondent.start": PUBLIC,
    "respondent.page": PUBLIC,
    "respondent.resume": PUBLIC,
    "respondent.thanks": PUBLIC,
    "open_access.start": PUBLIC,
    "open_access.start_unit": PUBLIC,
    "open_access.page": PUBLIC,
    "admin_auth.login": PUBLIC,
    "admin_auth.logout": "viewer",
    "admin_auth.password": "viewer",
    "admin_campaigns.dashboard": "viewer",
    "admin_campaigns.campaign": "analyst",
    "admin_campaigns.monitoring_table": "analyst",
    "admin_results.show": "viewer",
    "admin_results.chart": "viewer",
    "admin_results.compute": "analyst",
    "admin_results.download": "analyst",
    "admin_exports.download": "analyst",
    "admin_exports.bundle": "analyst",
    "admin_exports.index": "analyst",
    "admin_invitations.issue": "admin",
    "admin_invitations.revoke": "admin",
    "admin_calibration.show": "admin",
    "admin_calibration.upload": "admin",
    "admin_calibration.remove": "admin",
    "admin_frames.show": "admin",
    "admin_frames.upload": "admin",
    "admin_frames.plan": "admin",
    "admin_frames.draw": "admin",
    "admin_frames.send": "admin",
    "admin_audit.log": "admin",
}
