"""The questionnaire definition language: typed model, loader, validator, expressions, XLSForm."""

from questionnaires.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    is_relevant,
    satisfies_constraint,
)
from questionnaires.loader import load_questionnaire, load_questionnaire_text
from questionnaires.problems import Problem, QuestionnaireInvalid
from questionnaires.profile_loader import load_profile, load_profile_text
from questionnaires.validate import validate_file, validate_text

__all__ = [
    "Expression",
    "ExpressionError",
    "Problem",
    "QuestionnaireInvalid",
    "compile_expression",
    "is_relevant",
    "load_profile",
    "load_profile_text",
    "load_questionnaire",
    "load_questionnaire_text",
    "satisfies_constraint",
    "validate_file",
    "validate_text",
]
