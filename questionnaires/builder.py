"""What the questionnaire and profile builders share: the names and keys of the file format, the texts with
the place of each language, ids, and reading a file as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import Node, ScalarNode

from questionnaires.model import (
    ItemType,
    Missing,
)
from questionnaires.problems import N_, Label, Msg, Problem, QuestionnaireInvalid
from questionnaires.yamlsource import Entry, Reader

#: Item and section ids: usable as ``${id}`` in expressions and as XLSForm names.
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Questionnaire and profile ids may also contain hyphens and dots (``spi-internal``).
DOCUMENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Option codes are stored in answers and joined by spaces for select_multiple, so no spaces.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")

#: Friendlier spellings accepted for ``type``; each loads as the model's ItemType.
TYPE_ALIASES: Mapping[str, ItemType] = {
    **{t.value: t for t in ItemType},
    "single": ItemType.SELECT_ONE,
    "choice": ItemType.SELECT_ONE,
    "multiple": ItemType.SELECT_MULTIPLE,
    "checkboxes": ItemType.SELECT_MULTIPLE,
    "int": ItemType.INTEGER,
    "number": ItemType.DECIMAL,
    "textarea": ItemType.LONG_TEXT,
    "paragraph": ItemType.LONG_TEXT,
}

QUESTIONNAIRE_KEYS = (
    "kind",
    "id",
    "version",
    "title",
    "group",
    "access",
    "languages",
    "introduction",
    "consent",
    "missing_codes",
    "scales",
    "sections",
)
SECTION_KEYS = ("id", "title", "description", "relevant", "items")
ITEM_KEYS = (
    "id",
    "type",
    "label",
    "hint",
    "scale",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "min",
    "max",
    "scoring",
    "required_message",
    "calculation",
    "choice_filter",
)
#: The item keys holding an expression, in the order they are checked.
EXPRESSION_KEYS = ("relevant", "constraint", "calculation", "choice_filter")
SCALE_KEYS = ("id", "kind", "dont_know", "not_applicable", "options")
OPTION_KEYS = ("code", "label", "value", "missing", "attributes")
SCORING_KEYS = ("dimension", "indicator", "direction", "weight")
MISSING_KEYS = ("dont_know", "not_applicable")

#: Labels of the special options when a questionnaire does not declare its own.
DEFAULT_MISSING: Mapping[Missing, tuple[str, Mapping[str, str]]] = {
    Missing.DONT_KNOW: ("dk", {"id": "Tidak tahu", "en": "Don't know"}),
    Missing.NOT_APPLICABLE: ("na", {"id": "Tidak berlaku", "en": "Not applicable"}),
}

#: How a problem names what an id belongs to ("section id 'a' is already used by the item on line 3").
_KIND_WORDS: Mapping[str, Msg] = {"section": Msg(N_("section")), "item": Msg(N_("item"))}

#: ``scoring: none`` (or false / not scored) says explicitly that an item does not enter the index.
NOT_SCORED = frozenset({"none", "not scored", "not_scored", "false", "no"})


@dataclass
class _TextField:
    """A multilingual text with the nodes of the text and of each language, for later language checks."""

    what: Label
    node: Node
    values: dict[str, str]
    language_nodes: dict[str, Node] = field(default_factory=dict)


@dataclass
class _ItemDraft:
    """What expression checks need of an item, kept even when the item itself has problems."""

    id: str | None
    type: ItemType | None
    scale: str | None
    node: Node
    section_index: int
    entries: dict[str, Entry]
    expressions: dict[str, str]
    #: How problems name the item ("item 'q1'", or "section 's1', item 3" when its id is unusable).
    what: Label


class _Builder:
    def __init__(self, reader: Reader) -> None:
        self.r = reader
        self.texts: list[_TextField] = []
        self.languages: tuple[str, ...] = ()

    # Shared pieces -----------------------------------------------------------------------------------

    def text(self, node: Node, what: Label) -> dict[str, str]:
        """A ``{language: text}`` mapping; a plain string is taken as the first declared language.

        Texts are stripped, so a block scalar's final newline (or a spreadsheet cell's lack of one) does not
        change a questionnaire's content hash.
        """
        if isinstance(node, ScalarNode):
            value = self.r.text_scalar(node, what)
            if value is None:
                return {}
            value = value.strip()
            language = self.languages[0] if self.languages else "id"
            self.texts.append(_TextField(what, node, {language: value}, {language: node}))
            return {language: value}
        entries = self.r.mapping(node, what, allowed=None)
        if entries is None:
            return {}
        values: dict[str, str] = {}
        nodes: dict[str, Node] = {}
        for language, entry in entries.items():
            value = self.r.text_scalar(
                entry.value, Msg("%(what)s [%(language)s]", what=what, language=language)
            )
            if value is not None:
                values[language] = value.strip()
                nodes[language] = entry.key
        self.texts.append(_TextField(what, node, values, nodes))
        return values

    def identifier(self, node: Node, what: Label, pattern: re.Pattern[str] = ID_PATTERN) -> str | None:
        value = self.r.text_scalar(node, what)
        if value is None:
            return None
        if not pattern.match(value):
            rule = Msg(
                N_("a letter or underscore followed by letters, digits or underscores")
                if pattern is ID_PATTERN
                else N_("letters, digits, '_', '-' or '.', starting with a letter or digit")
            )
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: '%(value)s' is not a valid id (%(rule)s)"),
                    what=what,
                    value=value,
                    rule=rule,
                ),
            )
            return None
        return value

    def check_languages(self) -> None:
        declared = set(self.languages)
        for text in self.texts:
            for language, node in text.language_nodes.items():
                if language not in declared:
                    self.r.report(
                        node,
                        Msg(
                            N_(
                                "%(what)s: language '%(language)s' is not one of the declared "
                                "languages (%(languages)s)"
                            ),
                            what=text.what,
                            language=language,
                            languages=", ".join(self.languages),
                        ),
                    )
            for language in self.languages:
                if language not in text.values and text.values:
                    self.r.report(
                        text.node,
                        Msg(
                            N_("%(what)s: missing the '%(language)s' text"), what=text.what, language=language
                        ),
                    )


def read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    """The text and display name of a file; an unreadable file is a problem, not a traceback."""
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), str(source)
    except UnicodeDecodeError as exc:
        raise QuestionnaireInvalid(
            [
                Problem.of(
                    str(source), 0, 0, Msg(N_("the file is not UTF-8 text (%(reason)s)"), reason=exc.reason)
                )
            ]
        ) from None
    except OSError as exc:
        raise QuestionnaireInvalid(
            [
                Problem.of(
                    str(source), 0, 0, Msg(N_("cannot read the file: %(strerror)s"), strerror=exc.strerror)
                )
            ]
        ) from None
