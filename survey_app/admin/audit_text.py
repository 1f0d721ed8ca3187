"""The audit log in words: each action and detail named through the gettext catalogs, values as text, so an
entry reads "Campaign closed · Campaign demo · Responses released: 12" rather than raw JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from survey_app.admin.terms import GROUP_LABELS
from survey_app.models import AuditEntry

ACTIONS: Mapping[str, LazyString] = {
    "login": lazy_gettext("Logged in"),
    "login.locked": lazy_gettext("Login locked after failed attempts"),
    "campaign.create": lazy_gettext("Campaign created"),
    "campaign.edit": lazy_gettext("Campaign changed"),
    "campaign.open": lazy_gettext("Campaign opened"),
    "campaign.close": lazy_gettext("Campaign closed"),
    "campaign.poster": lazy_gettext("Counter poster downloaded"),
    "campaign.duplicate": lazy_gettext("Campaign duplicated"),
    "campaign.archive": lazy_gettext("Campaign archived"),
    "campaign.unarchive": lazy_gettext("Campaign restored from the archive"),
    "campaign.delete": lazy_gettext("Campaign deleted"),
    "corrections.set": lazy_gettext("Correction cases entered"),
    "invitations.issue": lazy_gettext("Invitations issued"),
    "invitations.issue_bulk": lazy_gettext("Invitations issued for every unit"),
    "invitations.revoke": lazy_gettext("Invitation revoked"),
    "institution.create": lazy_gettext("Institution created"),
    "institution.edit": lazy_gettext("Institution renamed"),
    "institution.archive": lazy_gettext("Institution archived"),
    "institution.unarchive": lazy_gettext("Institution restored from the archive"),
    "institution.delete": lazy_gettext("Institution deleted"),
    "unit.create": lazy_gettext("Unit created"),
    "unit.edit": lazy_gettext("Unit changed"),
    "institution.import": lazy_gettext("Units imported"),
    "questionnaire.load": lazy_gettext("Questionnaire loaded"),
    "questionnaire.archive": lazy_gettext("Questionnaire version archived"),
    "questionnaire.unarchive": lazy_gettext("Questionnaire version restored from the archive"),
    "questionnaire.delete": lazy_gettext("Questionnaire version deleted"),
    "results.compute": lazy_gettext("Results computed"),
    "results.compute_requested": lazy_gettext("Results computation requested"),
    "results.publish": lazy_gettext("Results published"),
    "results.unpublish": lazy_gettext("Results unpublished"),
    "export.results": lazy_gettext("Results downloaded"),
    "export.responses": lazy_gettext("Responses downloaded"),
    "user.create": lazy_gettext("Account created"),
    "user.update": lazy_gettext("Account changed"),
    "user.deactivate": lazy_gettext("Account deactivated"),
    "user.reactivate": lazy_gettext("Account reactivated"),
    "user.unlock": lazy_gettext("Account unlocked"),
    "user.password_change": lazy_gettext("Password changed"),
    "user.password_reset": lazy_gettext("Password reset"),
    "user.steward_grant": lazy_gettext("Data-steward right granted"),
    "user.steward_revoke": lazy_gettext("Data-steward right withdrawn"),
    "api_token.create": lazy_gettext("API token created"),
    "api_token.revoke": lazy_gettext("API token revoked"),
    "messages.templates": lazy_gettext("Message texts changed"),
    "messages.templates_reset": lazy_gettext("Message texts back to the built-in ones"),
    "messages.reminder_schedule": lazy_gettext("Reminder rule changed"),
    "contacts.opt_out": lazy_gettext("A sampled person asked for no more messages"),
}

TARGETS: Mapping[str, LazyString] = {
    "campaign": lazy_gettext("Campaign"),
    "institution": lazy_gettext("Institution"),
    "user": lazy_gettext("Account"),
    "api_token": lazy_gettext("API token"),
    "questionnaire": lazy_gettext("Questionnaire"),
    "unit": lazy_gettext("Unit"),
}

DETAILS: Mapping[str, LazyString] = {
    "group": lazy_gettext("Group"),
    "unit": lazy_gettext("Unit"),
    "count": lazy_gettext("Number"),
    "counts": lazy_gettext("Number per unit"),
    "issued": lazy_gettext("Issued"),
    "units": lazy_gettext("Units"),
    "by_population": lazy_gettext("Employees by population size"),
    "format": lazy_gettext("Format"),
    "run": lazy_gettext("Run"),
    "language": lazy_gettext("Language of the messages"),
    "every_days": lazy_gettext("Days after a person's last message"),
    "max_reminders": lazy_gettext("Reminders per person at most"),
    "released": lazy_gettext("Responses released"),
    "versions": lazy_gettext("Questionnaire versions"),
    "profile": lazy_gettext("Scoring profile"),
    "variance_method": lazy_gettext("Confidence intervals"),
    "use_fpc": lazy_gettext("Finite population correction"),
    "min_cell": lazy_gettext("Minimum cell size"),
    "target_index": lazy_gettext("Target index"),
    "name": lazy_gettext("Name"),
    "owner": lazy_gettext("Owner"),
    "role": lazy_gettext("Role"),
    "email": lazy_gettext("E-mail"),
    "institutions": lazy_gettext("Institutions"),
    "source": lazy_gettext("Source"),
    "invitation": lazy_gettext("Invitation"),
    "from": lazy_gettext("Copied from"),
    "cases": lazy_gettext("Cases"),
    "rule": lazy_gettext("Correction"),
    "job": lazy_gettext("Job"),
    "rows": lazy_gettext("Rows"),
    "version": lazy_gettext("Version"),
    "hash": lazy_gettext("Content hash"),
}


@dataclass(frozen=True)
class AuditLine:
    action: str
    target: str
    details: list[tuple[str, str]]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if value is None:
        return "–"
    if isinstance(value, Mapping):
        return ", ".join(f"{_key(str(k))}: {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _key(key: str) -> str:
    if key in GROUP_LABELS:
        return str(GROUP_LABELS[key])
    label = DETAILS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def describe(entry: AuditEntry) -> AuditLine:
    """One entry in the console's language; unknown actions and details keep their stored names."""
    kind, _, name = entry.target.partition(":")
    target = f"{TARGETS[kind]} {name}" if kind in TARGETS and name else entry.target
    details = [(_key(k), _value(v)) for k, v in (entry.details or {}).items()]
    action = ACTIONS.get(entry.action)
    return AuditLine(str(action) if action is not None else entry.action, target, details)
