"""Build a :class:`Questionnaire` from YAML, reporting every problem with its line and column.

Loading and validating are one pass over PyYAML's node graph: whatever can be checked locally (types, keys,
ids) is checked while building; what needs the whole questionnaire (expressions, scales, languages) is checked
afterwards with the node of each value kept at hand, so even those problems point at their exact place.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from questionnaires import answer_rules
from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.model import (
    AccessMode,
    Direction,
    Group,
    Item,
    ItemScoring,
    ItemType,
    Missing,
    Option,
    Questionnaire,
    Scale,
    ScaleKind,
    Section,
)
from questionnaires.problems import Problem, QuestionnaireInvalid
from questionnaires.profile import ScoringProfile
from questionnaires.yamlsource import Entry, Reader, compose, position

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

#: ``scoring: none`` (or false / not scored) says explicitly that an item does not enter the index.
NOT_SCORED = frozenset({"none", "not scored", "not_scored", "false", "no"})


@dataclass
class _TextField:
    """A multilingual text with the nodes of the text and of each language, for later language checks."""

    what: str
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
    what: str


class _Builder:
    def __init__(self, reader: Reader) -> None:
        self.r = reader
        self.texts: list[_TextField] = []
        self.languages: tuple[str, ...] = ()

    # Shared pieces -----------------------------------------------------------------------------------

    def text(self, node: Node, what: str) -> dict[str, str]:
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
            value = self.r.text_scalar(entry.value, f"{what} [{language}]")
            if value is not None:
                values[language] = value.strip()
                nodes[language] = entry.key
        self.texts.append(_TextField(what, node, values, nodes))
        return values

    def identifier(self, node: Node, what: str, pattern: re.Pattern[str] = ID_PATTERN) -> str | None:
        value = self.r.text_scalar(node, what)
        if value is None:
            return None
        if not pattern.match(value):
            rule = (
                "a letter or underscore followed by letters, digits or underscores"
                if pattern is ID_PATTERN
                else "letters, digits, '_', '-' or '.', starting with a letter or digit"
            )
            self.r.report(node, f"{what}: '{value}' is not a valid id ({rule})")
            return None
        return value

    def check_languages(self) -> None:
        declared = set(self.languages)
        for text in self.texts:
            for language, node in text.language_nodes.items():
                if language not in declared:
                    self.r.report(
                        node,
                        f"{text.what}: language '{language}' is not one of the declared languages "
                        f"({', '.join(self.languages)})",
                    )
            for language in self.languages:
                if language not in text.values and text.values:
                    self.r.report(text.node, f"{text.what}: missing the '{language}' text")


class _QuestionnaireBuilder(_Builder):
    def __init__(self, reader: Reader, profile: ScoringProfile | None) -> None:
        super().__init__(reader)
        self.profile = profile
        self.missing: dict[Missing, tuple[str, dict[str, str], Node | None]] = {}
        self.scales: dict[str, Scale] = {}
        self.scale_nodes: dict[str, Node] = {}
        self.ids: dict[str, tuple[str, Node]] = {}
        self.drafts: list[_ItemDraft] = []
        #: Per scale id, how problems name each option and its entries (for ``${}`` in option labels).
        self.option_entries: dict[str, list[tuple[str, dict[str, Entry]]]] = {}

    def build(self, root: Node) -> Questionnaire | None:
        r = self.r
        entries = r.mapping(
            root,
            "questionnaire",
            QUESTIONNAIRE_KEYS,
            required=("id", "version", "title", "group", "languages", "sections"),
        )
        if entries is None:
            return None
        if "kind" in entries:
            kind = r.text_scalar(entries["kind"].value, "kind")
            if kind is not None and kind != "questionnaire":
                r.report(entries["kind"].value, f"kind: expected 'questionnaire' here, got '{kind}'")
        self.languages = self._languages(entries.get("languages"))
        qid = self.identifier(entries["id"].value, "id", DOCUMENT_ID_PATTERN) if "id" in entries else None
        version = r.text_scalar(entries["version"].value, "version") if "version" in entries else None
        title = self.text(entries["title"].value, "title") if "title" in entries else {}
        group = self._group(entries.get("group"))
        access = self._access(entries.get("access"))
        introduction = (
            self.text(entries["introduction"].value, "introduction") if "introduction" in entries else {}
        )
        consent = self.text(entries["consent"].value, "consent") if "consent" in entries else {}
        self._missing_codes(entries.get("missing_codes"))
        if "scales" in entries:
            self._scales(entries["scales"].value)
        sections = self._sections(entries["sections"].value) if "sections" in entries else []
        self._check_expressions(sections)
        self.check_languages()
        if r.problems or qid is None or version is None or group is None:
            return None
        special = {m.value: code for m, (code, _, _) in sorted(self.missing.items())}
        return Questionnaire(
            id=qid,
            version=version,
            title=title,
            group=group,
            languages=self.languages,
            sections=tuple(s for s, _ in sections),
            scales=self.scales,
            introduction=introduction,
            consent=consent,
            special_codes=special,
            access=access,
        )

    # Top level -----------------------------------------------------------------------------------------

    def _languages(self, entry: Entry | None) -> tuple[str, ...]:
        if entry is None:
            return ()
        nodes = self.r.sequence(entry.value, "languages")
        if nodes is None:
            return ()
        if not nodes:
            self.r.report(entry.value, "languages: declare at least one language, e.g. [id, en]")
        found: list[str] = []
        for node in nodes:
            code = self.r.text_scalar(node, "languages")
            if code is None:
                continue
            if not LANGUAGE_PATTERN.match(code):
                self.r.report(node, f"languages: '{code}' is not a language code such as 'id' or 'en'")
            elif code in found:
                self.r.report(node, f"languages: '{code}' is listed twice")
            else:
                found.append(code)
        return tuple(found)

    def _group(self, entry: Entry | None) -> Group | None:
        if entry is None:
            return None
        value = self.r.text_scalar(entry.value, "group")
        if value is None:
            return None
        try:
            return Group(value)
        except ValueError:
            self.r.report(
                entry.value,
                f"group: '{value}' is not a respondent group; expected internal, external or expert",
            )
            return None

    def _access(self, entry: Entry | None) -> tuple[AccessMode, ...] | None:
        """``access: [invitation, open]``; ``None`` when not declared (the group's default applies)."""
        if entry is None:
            return None
        nodes = self.r.sequence(entry.value, "access")
        if nodes is None:
            return None
        modes: list[AccessMode] = []
        for node in nodes:
            value = self.r.text_scalar(node, "access")
            if value is None:
                continue
            try:
                mode = AccessMode(value)
            except ValueError:
                self.r.report(node, f"access: '{value}' is not an access mode; expected invitation or open")
                continue
            if mode in modes:
                self.r.report(node, f"access: '{value}' is listed twice")
            modes.append(mode)
        # Invitations are how every group is reached; a declaration without them would promise something
        # (an open-only group) the app does not enforce.
        if modes and AccessMode.INVITATION not in modes:
            self.r.report(entry.value, "access: list invitation as well, e.g. [invitation, open]")
        if not nodes:
            self.r.report(entry.value, "access: declare at least [invitation], or [invitation, open]")
        return tuple(modes)

    def _missing_codes(self, entry: Entry | None) -> None:
        declared: dict[str, Entry] = {}
        if entry is not None:
            declared = self.r.mapping(entry.value, "missing_codes", MISSING_KEYS) or {}
        for missing in Missing:
            default_code, default_label = DEFAULT_MISSING[missing]
            if missing.value not in declared:
                self.missing[missing] = (default_code, dict(default_label), None)
                continue
            node = declared[missing.value].value
            what = f"missing_codes.{missing.value}"
            # The default stands in while this declaration has problems, so later checks still run.
            self.missing[missing] = (default_code, dict(default_label), None)
            fields = self.r.mapping(node, what, ("code", "label"), required=("code", "label"))
            if fields is None:
                continue
            code = self._code(fields["code"].value, f"{what}.code") if "code" in fields else None
            label = self.text(fields["label"].value, f"{what}.label") if "label" in fields else {}
            if code is not None:
                self.missing[missing] = (code, label, node)
        codes = [(code, m) for m, (code, _, _) in self.missing.items()]
        if len({c for c, _ in codes}) < len(codes):
            self.r.report(
                entry.value if entry else None, "missing_codes: dont_know and not_applicable share a code"
            )

    def _code(self, node: Node, what: str) -> str | None:
        value = self.r.text_scalar(node, what)
        if value is None:
            return None
        if not CODE_PATTERN.match(value):
            self.r.report(
                node, f"{what}: '{value}' is not a valid option code (letters, digits, '_', '-', '.')"
            )
            return None
        return value

    # Scales --------------------------------------------------------------------------------------------

    def _scales(self, node: Node) -> None:
        nodes = self.r.sequence(node, "scales")
        for scale_node in nodes or []:
            self._scale(scale_node)

    def _scale(self, node: Node) -> None:
        r = self.r
        entries = r.mapping(node, "scale", SCALE_KEYS, required=("id", "options"))
        if entries is None:
            return
        sid = self.identifier(entries["id"].value, "scale id") if "id" in entries else None
        what = f"scale '{sid}'" if sid else "scale"
        if sid is not None and sid in self.scale_nodes:
            first = position(self.scale_nodes[sid])[0]
            r.report(entries["id"].value, f"{what}: duplicate scale id (first defined on line {first})")
            sid = None
        kind = ScaleKind.ORDINAL
        if "kind" in entries:
            value = r.text_scalar(entries["kind"].value, f"{what}.kind")
            try:
                kind = ScaleKind(value or "")
            except ValueError:
                if value is not None:
                    r.report(entries["kind"].value, f"{what}.kind: '{value}' is not ordinal or nominal")
        flags: dict[Missing, bool] = {}
        for missing in Missing:
            if missing.value in entries:
                flags[missing] = bool(r.boolean(entries[missing.value].value, f"{what}.{missing.value}"))
        options: list[Option] = []
        codes: dict[str, Node] = {}
        option_nodes = (
            r.sequence(entries["options"].value, f"{what}.options") if "options" in entries else None
        )
        if option_nodes is not None and not option_nodes:
            r.report(entries["options"].value, f"{what}.options: a scale needs at least one option")
        explicit_values: list[bool] = []
        labelled: list[tuple[str, dict[str, Entry]]] = []
        for index, option_node in enumerate(option_nodes or []):
            option = self._option(option_node, f"{what}, option {index + 1}", codes)
            if option is not None and isinstance(option_node, MappingNode):
                label_entries = {
                    str(k.value): Entry(k, v) for k, v in option_node.value if str(k.value) == "label"
                }
                labelled.append((f"{what}, option '{option.code}'", label_entries))
            if option is not None:
                options.append(option)
                if option.missing is None:
                    explicit_values.append(option.value is not None)
        if kind is ScaleKind.ORDINAL and any(explicit_values) and not all(explicit_values):
            r.report(
                node, f"{what}: give every ordinal option a value, or none (they are then numbered 1, 2, ...)"
            )
        if kind is ScaleKind.ORDINAL and explicit_values and not any(explicit_values):
            # Unvalued ordinal points are numbered in order: "any number of points" needs no values written.
            position_value = 0.0
            numbered: list[Option] = []
            for option in options:
                if option.missing is None:
                    position_value += 1.0
                    numbered.append(Option(option.code, option.label, position_value, None))
                else:
                    numbered.append(option)
            options = numbered
        for missing, wanted in flags.items():
            if not wanted:
                continue
            code, label, _ = self.missing[missing]
            if code in codes:
                line = position(codes[code])[0]
                r.report(
                    entries[missing.value].value,
                    f"{what}: the {missing.value} code '{code}' clashes with the option on line {line}",
                )
                continue
            options.append(Option(code, label, None, missing))
        if sid is not None:
            self.scale_nodes[sid] = entries["id"].value
            self.scales[sid] = Scale(sid, kind, tuple(options))
            self.option_entries[sid] = labelled

    def _option(self, node: Node, what: str, codes: dict[str, Node]) -> Option | None:
        r = self.r
        entries = r.mapping(node, what, OPTION_KEYS, required=("code", "label"))
        if entries is None:
            return None
        code = self._code(entries["code"].value, f"{what}.code") if "code" in entries else None
        if code is not None:
            what = f"{what} '{code}'"
            if code in codes:
                line = position(codes[code])[0]
                r.report(entries["code"].value, f"{what}: duplicate option code (first used on line {line})")
                code = None
            else:
                codes[code] = entries["code"].value
        label = self.text(entries["label"].value, f"{what}.label") if "label" in entries else {}
        value = None
        if "value" in entries and not r.is_null(entries["value"].value):
            value = r.number(entries["value"].value, f"{what}.value")
        missing = None
        if "missing" in entries:
            text = r.text_scalar(entries["missing"].value, f"{what}.missing")
            try:
                missing = Missing(text or "")
            except ValueError:
                if text is not None:
                    r.report(
                        entries["missing"].value, f"{what}.missing: expected dont_know or not_applicable"
                    )
            if missing is not None and code is not None and code != self.missing[missing][0]:
                r.report(
                    entries["code"].value,
                    f"{what}: a {missing.value} option must use the code '{self.missing[missing][0]}' "
                    "declared in missing_codes",
                )
            if missing is not None and value is not None:
                r.report(entries["value"].value, f"{what}: a {missing.value} option cannot carry a value")
                value = None
        attributes = answer_rules.option_attributes(r, entries, what)
        if code is None:
            return None
        return Option(code, label, value, missing, attributes)

    # Sections and items --------------------------------------------------------------------------------

    def _claim_id(self, value: str, node: Node, kind: str) -> bool:
        if value in self.ids:
            other_kind, other = self.ids[value]
            self.r.report(
                node, f"{kind} id '{value}' is already used by the {other_kind} on line {position(other)[0]}"
            )
            return False
        self.ids[value] = (kind, node)
        return True

    def _sections(self, node: Node) -> list[tuple[Section, dict[str, Entry]]]:
        nodes = self.r.sequence(node, "sections")
        if nodes is not None and not nodes:
            self.r.report(node, "sections: a questionnaire needs at least one section")
        built: list[tuple[Section, dict[str, Entry]]] = []
        for index, section_node in enumerate(nodes or []):
            section = self._section(section_node, index)
            if section is not None:
                built.append(section)
        return built

    def _section(self, node: Node, index: int) -> tuple[Section, dict[str, Entry]] | None:
        r = self.r
        entries = r.mapping(node, f"section {index + 1}", SECTION_KEYS, required=("id", "title", "items"))
        if entries is None:
            return None
        sid = self.identifier(entries["id"].value, "section id") if "id" in entries else None
        if sid is not None and not self._claim_id(sid, entries["id"].value, "section"):
            sid = None
        what = f"section '{sid}'" if sid else f"section {index + 1}"
        title = self.text(entries["title"].value, f"{what}.title") if "title" in entries else {}
        description = (
            self.text(entries["description"].value, f"{what}.description") if "description" in entries else {}
        )
        relevant = self._expression_text(entries.get("relevant"), f"{what}.relevant")
        items: list[Item] = []
        if "items" in entries:
            item_nodes = r.sequence(entries["items"].value, f"{what}.items")
            if item_nodes is not None and not item_nodes:
                r.report(entries["items"].value, f"{what}: the section is empty; give it at least one item")
            for item_index, item_node in enumerate(item_nodes or []):
                item = self._item(item_node, f"{what}, item {item_index + 1}", index)
                if item is not None:
                    items.append(item)
        if sid is None:
            return None
        return Section(sid, title, tuple(items), description, relevant), entries

    def _expression_text(self, entry: Entry | None, what: str) -> str | None:
        if entry is None or self.r.is_null(entry.value):
            return None
        return self.r.text_scalar(entry.value, what)

    def _item(self, node: Node, what: str, section_index: int) -> Item | None:
        r = self.r
        entries = r.mapping(node, what, ITEM_KEYS, required=("id", "type"))
        if entries is None:
            return None
        iid = self.identifier(entries["id"].value, f"{what}: id") if "id" in entries else None
        if iid is not None and not self._claim_id(iid, entries["id"].value, "item"):
            what = f"item '{iid}' (line {position(node)[0]})"
            iid = None
        what = f"item '{iid}'" if iid else what
        item_type, inline_scale = self._item_type(entries.get("type"), what)
        label = self.text(entries["label"].value, f"{what}.label") if "label" in entries else {}
        hint = self.text(entries["hint"].value, f"{what}.hint") if "hint" in entries else {}
        scale = inline_scale
        if "scale" in entries:
            if inline_scale is not None:
                r.report(
                    entries["scale"].value, f"{what}: the scale is given twice (in 'type' and in 'scale')"
                )
            scale = r.text_scalar(entries["scale"].value, f"{what}.scale")
        scale_node = (
            entries["scale"].value
            if "scale" in entries
            else entries["type"].value
            if "type" in entries
            else node
        )
        if item_type is not None:
            self._check_scale_use(item_type, scale, scale_node, what)
        override, required_message, calculation, choice_filter = answer_rules.item_features(
            self, entries, node, what, item_type
        )
        required = item_type is not ItemType.NOTE
        if "required" in entries:
            flag = r.boolean(entries["required"].value, f"{what}.required")
            if flag is not None:
                required = flag
                if flag and item_type is ItemType.NOTE:
                    r.report(
                        entries["required"].value, f"{what}: a note stores no answer and cannot be required"
                    )
        required = required if override is None else override
        answer_rules.check_required_message(r, entries, what, required)
        relevant = self._expression_text(entries.get("relevant"), f"{what}.relevant")
        constraint = self._expression_text(entries.get("constraint"), f"{what}.constraint")
        message = (
            self.text(entries["constraint_message"].value, f"{what}.constraint_message")
            if "constraint_message" in entries
            else {}
        )
        if constraint is None and "constraint_message" in entries:
            r.report(entries["constraint_message"].key, f"{what}: constraint_message without a constraint")
        minimum = self._bound(entries.get("min"), f"{what}.min", item_type)
        maximum = self._bound(entries.get("max"), f"{what}.max", item_type)
        if minimum is not None and maximum is not None and minimum > maximum:
            r.report(entries["max"].value, f"{what}: max ({maximum:g}) is below min ({minimum:g})")
        if item_type is ItemType.INTEGER:
            for key, bound in (("min", minimum), ("max", maximum)):
                if bound is not None and not bound.is_integer():
                    r.report(entries[key].value, f"{what}.{key}: an integer item needs a whole-number bound")
        scoring = self._scoring(entries.get("scoring"), what, item_type, scale, minimum, maximum)
        given = (relevant, constraint, calculation, choice_filter)
        expressions = {k: v for k, v in zip(EXPRESSION_KEYS, given, strict=True) if v is not None}
        self.drafts.append(_ItemDraft(iid, item_type, scale, node, section_index, entries, expressions, what))
        if iid is None or item_type is None:
            return None
        item = Item(
            id=iid,
            type=item_type,
            label=label,
            hint=hint,
            scale=scale if item_type.is_choice else None,
            required=required,
            relevant=relevant,
            constraint=constraint,
            constraint_message=message,
            minimum=minimum,
            maximum=maximum,
            scoring=scoring,
            required_message=required_message,
            calculation=calculation,
            choice_filter=choice_filter,
        )
        return item

    def _item_type(self, entry: Entry | None, what: str) -> tuple[ItemType | None, str | None]:
        if entry is None:
            return None, None
        value = self.r.text_scalar(entry.value, f"{what}.type")
        if value is None:
            return None, None
        # XLSForm habit: "select_one agree5" names the scale in the type.
        name, _, rest = value.strip().partition(" ")
        item_type = TYPE_ALIASES.get(name)
        if item_type is None:
            self.r.report(
                entry.value,
                f"{what}.type: unknown item type '{name}'; expected one of: "
                + ", ".join(t.value for t in ItemType),
            )
            return None, None
        inline = rest.strip() or None
        if inline is not None and not item_type.is_choice:
            self.r.report(entry.value, f"{what}.type: only select_one and select_multiple name a scale")
            inline = None
        return item_type, inline

    def _check_scale_use(self, item_type: ItemType, scale: str | None, node: Node, what: str) -> None:
        if item_type.is_choice and scale is None:
            self.r.report(node, f"{what}: a {item_type.value} item needs a 'scale'")
        elif not item_type.is_choice and scale is not None:
            self.r.report(node, f"{what}: a {item_type.value} item has no scale; only choice items do")
        elif scale is not None and scale not in self.scales and scale not in self.scale_nodes:
            known = ", ".join(sorted(self.scales)) or "none defined"
            self.r.report(node, f"{what}: unknown scale '{scale}' (defined scales: {known})")

    def _bound(self, entry: Entry | None, what: str, item_type: ItemType | None) -> float | None:
        if entry is None or self.r.is_null(entry.value):
            return None
        value = self.r.number(entry.value, what)
        if value is not None and item_type is not None and not item_type.is_number:
            self.r.report(entry.value, f"{what}: only integer and decimal items have bounds")
            return None
        return value

    def _scoring(
        self,
        entry: Entry | None,
        what: str,
        item_type: ItemType | None,
        scale: str | None,
        minimum: float | None,
        maximum: float | None,
    ) -> ItemScoring | None:
        r = self.r
        if entry is None or r.is_null(entry.value):
            return None
        node = entry.value
        if isinstance(node, ScalarNode) and str(node.value).strip().lower() in NOT_SCORED:
            return None
        what = f"{what}.scoring"
        fields = r.mapping(node, what, SCORING_KEYS, required=("dimension", "indicator", "direction"))
        if fields is None:
            return None
        dimension = (
            self.identifier(fields["dimension"].value, f"{what}.dimension") if "dimension" in fields else None
        )
        indicator = (
            self.identifier(fields["indicator"].value, f"{what}.indicator") if "indicator" in fields else None
        )
        direction = None
        if "direction" in fields:
            text = r.text_scalar(fields["direction"].value, f"{what}.direction")
            try:
                direction = Direction(text or "")
            except ValueError:
                if text is not None:
                    r.report(
                        fields["direction"].value,
                        f"{what}.direction: expected integrity or risk, got '{text}'",
                    )
        weight = 1.0
        if "weight" in fields:
            value = r.number(fields["weight"].value, f"{what}.weight")
            if value is not None and value <= 0:
                r.report(fields["weight"].value, f"{what}.weight: must be greater than 0")
            elif value is not None:
                weight = value
        if dimension is not None and self.profile is not None:
            known = {d.id for d in self.profile.dimensions}
            if dimension not in known:
                r.report(
                    fields["dimension"].value,
                    f"{what}.dimension: '{dimension}' is not a dimension of profile '{self.profile.id}' "
                    f"(known: {', '.join(sorted(known))})",
                )
        if item_type is not None:
            self._check_scorable(item_type, scale, minimum, maximum, node, what)
        if dimension is None or indicator is None or direction is None:
            return None
        return ItemScoring(dimension, indicator, direction, weight)

    def _check_scorable(
        self,
        item_type: ItemType,
        scale: str | None,
        minimum: float | None,
        maximum: float | None,
        node: Node,
        what: str,
    ) -> None:
        if item_type is ItemType.SELECT_ONE:
            found = self.scales.get(scale or "")
            if found is not None:
                values = {o.value for o in found.scored_options}
                if len(values) < 2:
                    self.r.report(
                        node, f"{what}: scale '{scale}' needs at least two different option values to score"
                    )
        elif item_type.is_number:
            if minimum is None or maximum is None or minimum == maximum:
                self.r.report(
                    node, f"{what}: a scored number item needs 'min' and 'max' (they map it onto 0-100)"
                )
        else:
            self.r.report(
                node, f"{what}: only select_one and number items can be scored; write 'scoring: none'"
            )

    # Expressions --------------------------------------------------------------------------------------

    def _check_expressions(self, sections: list[tuple[Section, dict[str, Entry]]]) -> None:
        order: dict[str, int] = {}
        by_id: dict[str, _ItemDraft] = {}
        for n, draft in enumerate(self.drafts):
            if draft.id is not None:
                order.setdefault(draft.id, n)
                by_id.setdefault(draft.id, draft)
        first_of_section: dict[int, int] = {}
        for n, draft in enumerate(self.drafts):
            first_of_section.setdefault(draft.section_index, n)

        def type_of(ref: str) -> ItemType | None:
            return by_id[ref].type if ref in by_id else None

        for index, (section, entries) in enumerate(sections):
            answer_rules.check_piping(
                self.r,
                entries,
                f"section '{section.id}'",
                first_of_section.get(index, len(self.drafts)),
                order,
                type_of,
                ("title", "description"),
            )
            if section.relevant is not None:
                start = first_of_section.get(index, len(self.drafts))
                self._check_expression(
                    entries["relevant"].value, f"section '{section.id}'.relevant", start, order, by_id, False
                )
        for n, draft in enumerate(self.drafts):
            for key in EXPRESSION_KEYS:
                if key in draft.expressions:
                    self._check_expression(
                        draft.entries[key].value,
                        f"item '{draft.id}'.{key}" if draft.id else f"{draft.what}.{key}",
                        n,
                        order,
                        by_id,
                        key == "constraint",
                        key,
                        draft,
                    )
            what = f"item '{draft.id}'" if draft.id else draft.what
            answer_rules.check_piping(self.r, draft.entries, what, n, order, type_of)
        # An option's label may show an answer given before the first item that offers the option.
        first_use: dict[str, int] = {}
        for n, draft in enumerate(self.drafts):
            scale_id = draft.scale
            if scale_id is not None:
                first_use.setdefault(scale_id, n)
        for scale_id, options in self.option_entries.items():
            for what, entries in options:
                answer_rules.check_piping(
                    self.r,
                    entries,
                    what,
                    first_use.get(scale_id, len(self.drafts)),
                    order,
                    type_of,
                    ("label",),
                )

    def _check_expression(
        self,
        node: Node,
        what: str,
        limit: int,
        order: Mapping[str, int],
        by_id: Mapping[str, _ItemDraft],
        is_constraint: bool,
        key: str = "relevant",
        draft: _ItemDraft | None = None,
    ) -> None:
        source = str(node.value)
        try:
            expression = compile_expression(source)
        except ExpressionError as exc:
            line, column = _expression_position(node, exc.column)
            self.r.report_at(line, column, f"{what}: {exc.message} in expression {source!r}")
            return
        if expression.uses_current and not is_constraint:
            self.r.report(node, f"{what}: '.' (the answer being checked) is only meaningful in a constraint")
        scale = self.scales.get(draft.scale or "") if draft is not None else None
        answer_rules.check_columns(self.r, node, what, source, expression.columns, key, scale)
        own = limit if is_constraint else -1
        for ref in sorted(expression.references):
            if ref not in order:
                hint = _closest(ref, order)
                self.r.report(node, f"{what}: refers to unknown item ${{{ref}}}{hint}")
            elif order[ref] == own:
                continue
            elif order[ref] >= limit:
                line = position(by_id[ref].node)[0]
                self.r.report(
                    node,
                    f"{what}: refers to ${{{ref}}}, which comes later (line {line}); "
                    "only earlier items can be used",
                )
            elif by_id[ref].type is ItemType.NOTE:
                self.r.report(node, f"{what}: refers to ${{{ref}}}, a note, which has no answer")
        for ref, code in sorted(expression.selected_codes):
            draft = by_id.get(ref)
            if draft is None or draft.type is None or not draft.type.is_choice:
                if draft is not None and draft.type is not None:
                    self.r.report(
                        node, f"{what}: selected() needs a choice item, but ${{{ref}}} is {draft.type.value}"
                    )
                continue
            scale = self.scales.get(draft.scale or "")
            if scale is not None and scale.option(code) is None:
                self.r.report(node, f"{what}: scale '{scale.id}' of ${{{ref}}} has no option '{code}'")


def _closest(name: str, known: Mapping[str, int]) -> str:
    match = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean ${{{match[0]}}}?" if match else ""


def _expression_position(node: Node, column: int) -> tuple[int, int]:
    """The file position of a column inside an expression written on one line (plain or quoted)."""
    line, start = position(node)
    style = getattr(node, "style", None)
    if not style:  # plain scalar: PyYAML says None, libyaml says ""
        return line, start + column - 1
    if style in ("'", '"') and "\n" not in str(node.value):
        return line, start + column
    return line, start


# Public entry points ------------------------------------------------------------------------------------


def build_questionnaire(
    root: Node, filename: str, profile: ScoringProfile | None = None
) -> tuple[Questionnaire | None, list[Problem]]:
    reader = Reader(filename)
    questionnaire = _QuestionnaireBuilder(reader, profile).build(root)
    problems = reader.sorted_problems()
    return (None if problems else questionnaire), problems


def load_questionnaire_text(
    text: str, filename: str = "<string>", profile: ScoringProfile | None = None
) -> Questionnaire:
    """Load a questionnaire from YAML text; raises :class:`QuestionnaireInvalid` listing every problem."""
    root, problems = compose(text, filename)
    if root is None:
        raise QuestionnaireInvalid(problems)
    questionnaire, problems = build_questionnaire(root, filename, profile)
    if questionnaire is None:
        raise QuestionnaireInvalid(
            problems or [Problem(filename, 0, 0, "the questionnaire could not be built")]
        )
    return questionnaire


def read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    """The text and display name of a file; an unreadable file is a problem, not a traceback."""
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), str(source)
    except UnicodeDecodeError as exc:
        raise QuestionnaireInvalid(
            [Problem(str(source), 0, 0, f"the file is not UTF-8 text ({exc.reason})")]
        ) from None
    except OSError as exc:
        raise QuestionnaireInvalid(
            [Problem(str(source), 0, 0, f"cannot read the file: {exc.strerror}")]
        ) from None


def load_questionnaire(
    source: str | os.PathLike[str], profile: ScoringProfile | None = None
) -> Questionnaire:
    """Load a questionnaire YAML file; raises :class:`QuestionnaireInvalid` listing every problem."""
    text, name = read_source(source)
    return load_questionnaire_text(text, name, profile)
