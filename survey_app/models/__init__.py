"""The database models; import them from here."""

from survey_app.models.accounts import ROLES, ApiToken, AuditEntry, User, user_institutions
from survey_app.models.base import Base
from survey_app.models.campaigns import (
    STATUSES,
    VARIANCE_METHODS,
    Campaign,
    CampaignQuestionnaire,
    CorrectionCase,
)
from survey_app.models.drafts import Draft
from survey_app.models.frames import (
    CalibrationMargins,
    DeliveryEntry,
    FrameContact,
    MessageTemplates,
    PopulationFrame,
    ReminderSchedule,
    SampleDraw,
)
from survey_app.models.institutions import Institution, Unit
from survey_app.models.invitations import STATES, Invitation
from survey_app.models.national_figures import NationalFigure
from survey_app.models.questionnaire_versions import ImmutableVersionError, QuestionnaireVersion
from survey_app.models.responses import HeldResponse, Response
from survey_app.models.score_runs import JOB_STATES, ComputeJob, ScoreRun
from survey_app.models.types import GROUPS

__all__ = [
    "GROUPS",
    "JOB_STATES",
    "ROLES",
    "STATES",
    "STATUSES",
    "VARIANCE_METHODS",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CalibrationMargins",
    "Campaign",
    "CampaignQuestionnaire",
    "ComputeJob",
    "CorrectionCase",
    "DeliveryEntry",
    "Draft",
    "FrameContact",
    "HeldResponse",
    "ImmutableVersionError",
    "Institution",
    "Invitation",
    "MessageTemplates",
    "NationalFigure",
    "PopulationFrame",
    "QuestionnaireVersion",
    "ReminderSchedule",
    "Response",
    "SampleDraw",
    "ScoreRun",
    "Unit",
    "User",
    "user_institutions",
]
