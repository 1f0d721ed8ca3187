"""Questionnaire versions (list, upload, preview, changes) and console accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey_app.domain.accounts import create_user
from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion, User

RULES: dict[str, str] = {
    "admin_questionnaires.index": "admin",
    "admin_questionnaires.upload": "admin",
    "admin_questionnaires.preview": "admin",
    "admin_questionnaires.diff": "admin",
    "admin_users.index": "admin",
    "admin_users.create": "admin",
    "admin_users.show": "admin",
    "admin_users.deactivate": "admin",
    "admin_users.reactivate": "admin",
    "admin_users.unlock": "admin",
    "admin_users.reset_password": "admin",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    version_id = db.session.scalar(select(QuestionnaireVersion.id).order_by(QuestionnaireVersion.id))
    # An account other than the logged-in one, so that deactivating or resetting it does not end the walk.
    user = db.session.scalar(select(User).where(User.email == "sample-viewer@example.org"))
    if user is None:
        user = create_user("sample-viewer@example.org", "sample password 123", "viewer", ["KOTA"])
        db.session.commit()
    return {"version_id": version_id, "user_id": user.id}
