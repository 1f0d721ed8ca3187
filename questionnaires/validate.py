"""Validate a questionnaire or profile file: every problem, with its place, and never an exception."""

from __future__ import annotations

import os
from enum import StrEnum

from yaml.nodes import MappingNode, Node, ScalarNode

from questionnaires.builder import read_source
from questionnaires.loader import build_questionnaire
from questionnaires.problems import N_, Msg, Problem, QuestionnaireInvalid
from questionnaires.profile import ScoringProfile
from questionnaires.profile_loader import build_profile, load_profile
from questionnaires.yamlsource import compose


class FileKind(StrEnum):
    QUESTIONNAIRE = "questionnaire"
    PROFILE = "profile"


def detect_kind(root: Node) -> FileKind | None:
    """A top-level ``kind:`` decides; else ``sections`` means a questionnaire, ``group_weights`` a profile."""
    if not isinstance(root, MappingNode):
        return None
    keys = {str(k.value): v for k, v in root.value if isinstance(k, ScalarNode)}
    kind = keys.get("kind")
    if isinstance(kind, ScalarNode) and kind.value in (FileKind.QUESTIONNAIRE, FileKind.PROFILE):
        return FileKind(kind.value)
    if "sections" in keys or "scales" in keys:
        return FileKind.QUESTIONNAIRE
    if "group_weights" in keys or "dimensions" in keys or "categories" in keys:
        return FileKind.PROFILE
    return None


def validate_text(
    text: str, filename: str = "<string>", profile: ScoringProfile | None = None
) -> list[Problem]:
    root, problems = compose(text, filename)
    if root is None:
        return problems
    kind = detect_kind(root)
    if kind is FileKind.PROFILE:
        return build_profile(root, filename)[1]
    if kind is FileKind.QUESTIONNAIRE:
        return build_questionnaire(root, filename, profile)[1]
    return [
        Problem.of(
            filename,
            root.start_mark.line + 1,
            root.start_mark.column + 1,
            Msg(
                N_(
                    "cannot tell whether this is a questionnaire or a profile: add 'kind: "
                    "questionnaire' or 'kind: profile' at the top"
                )
            ),
        )
    ]


def validate_file(
    path: str | os.PathLike[str], profile: ScoringProfile | str | os.PathLike[str] | None = None
) -> list[Problem]:
    """Every problem of a questionnaire or profile file (empty when valid); never raises on bad content.

    ``profile`` (a loaded profile or a profile file) adds the check that every scored item's dimension is one
    the profile knows. A broken profile file is reported as the problems of that file.
    """
    loaded: ScoringProfile | None = None
    if profile is not None and not isinstance(profile, ScoringProfile):
        try:
            loaded = load_profile(profile)
        except QuestionnaireInvalid as exc:
            return exc.problems
    elif isinstance(profile, ScoringProfile):
        loaded = profile
    try:
        text, name = read_source(path)
    except QuestionnaireInvalid as exc:
        return exc.problems
    return validate_text(text, name, loaded)
