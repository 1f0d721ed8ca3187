"""Questionnaires and scoring profiles shipped with the product, ready for a campaign on day one.

>>> "spi-2024" in [p.stem for p in profile_paths()]
True
>>> load_bundled_profile("spi-2024").group_weights["internal"]
0.45
"""

from __future__ import annotations

from pathlib import Path

from questionnaires.loader import load_questionnaire
from questionnaires.model import Questionnaire
from questionnaires.profile import ScoringProfile
from questionnaires.profile_loader import load_profile

ROOT = Path(__file__).resolve().parent
QUESTIONNAIRE_DIR = ROOT / "questionnaires"
PROFILE_DIR = ROOT / "profiles"


def questionnaire_paths() -> list[Path]:
    return sorted(QUESTIONNAIRE_DIR.glob("*.yaml"))


def profile_paths() -> list[Path]:
    return sorted(PROFILE_DIR.glob("*.yaml"))


def _find(directory: Path, ident: str, what: str) -> Path:
    path = directory / f"{ident}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml")))
        raise KeyError(f"no bundled {what} '{ident}' (bundled: {known})")
    return path


def load_bundled_questionnaire(ident: str) -> Questionnaire:
    """A bundled questionnaire by id (its file name is ``<id>.yaml``)."""
    return load_questionnaire(_find(QUESTIONNAIRE_DIR, ident, "questionnaire"))


def load_bundled_profile(ident: str) -> ScoringProfile:
    """A bundled scoring profile by id (its file name is ``<id>.yaml``)."""
    return load_profile(_find(PROFILE_DIR, ident, "profile"))
