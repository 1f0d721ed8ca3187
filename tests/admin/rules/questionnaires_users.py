"""Questionnaire versions (list, upload, preview, changes) and console accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion

RULES: dict[str, str] = {
    "admin_questionnaires.index": "admin",
    "admin_questionnaires.upload": "admin",
    "admin_questionnaires.preview": "admin",
    "admin_questionnaires.diff": "admin",
}


def samples(survey: Any, run_id: int) -> dict[str, Any]:
    version_id = db.session.scalar(select(QuestionnaireVersion.id).order_by(QuestionnaireVersion.id))
    return {"version_id": version_id}
