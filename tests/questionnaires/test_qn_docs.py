"""The reference's complete example stays a valid questionnaire."""

from __future__ import annotations

import re
from pathlib import Path

from questionnaires import load_questionnaire_text, validate_text
from questionnaires.model import ItemType

DOC = Path(__file__).resolve().parents[2] / "docs" / "questionnaire-format.md"


def test_complete_example_in_the_docs_is_valid() -> None:
    match = re.search(r"## A complete example\n\n```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match is not None
    example = match.group(1)
    assert validate_text(example, "example.yaml") == []
    questionnaire = load_questionnaire_text(example)
    assert questionnaire.item("adil").scale == "setuju5"
    assert {item.type for item in questionnaire.items} >= {
        ItemType.SELECT_ONE,
        ItemType.SELECT_MULTIPLE,
        ItemType.INTEGER,
        ItemType.LONG_TEXT,
        ItemType.NOTE,
    }
