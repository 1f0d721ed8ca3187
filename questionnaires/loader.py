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

from yaml.nodes import Node, ScalarNode

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
from questionnaires.problems import N_, Label, Msg, Problem, QuestionnaireInvalid, dot
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
)
SCALE_KEYS = ("id", "kind", "dont_know", "not_applicable", "options")
OPTION_KEYS = ("code", "label", "value", "missing")
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


class _QuestionnaireBuilder(_Builder):
    def __init__(self, reader: Reader, profile: ScoringProfile | None) -> None:
        super().__init__(reader)
        self.profile = profile
        self.missing: dict[Missing, tuple[str, dict[str, str], Node | None]] = {}
        self.scales: dict[str, Scale] = {}
        self.scale_nodes: dict[str, Node] = {}
        self.ids: dict[str, tuple[str, Node]] = {}
        self.drafts: list[_ItemDraft] = []

    def build(self, root: Node) -> Questionnaire | None:
        r = self.r
        entries = r.mapping(
            root,
            Msg(N_("questionnaire")),
            QUESTIONNAIRE_KEYS,
            required=("id", "version", "title", "group", "languages", "sections"),
        )
        if entries is None:
            return None
        if "kind" in entries:
            kind = r.text_scalar(entries["kind"].value, "kind")
            if kind is not None and kind != "questionnaire":
                r.report(
                    entries["kind"].value,
                    Msg(N_("kind: expected 'questionnaire' here, got '%(kind)s'"), kind=kind),
                )
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
            self.r.report(entry.value, Msg(N_("languages: declare at least one language, e.g. [id, en]")))
        found: list[str] = []
        for node in nodes:
            code = self.r.text_scalar(node, "languages")
            if code is None:
                continue
            if not LANGUAGE_PATTERN.match(code):
                self.r.report(
                    node,
                    Msg(N_("languages: '%(code)s' is not a language code such as 'id' or 'en'"), code=code),
                )
            elif code in found:
                self.r.report(node, Msg(N_("languages: '%(code)s' is listed twice"), code=code))
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
                Msg(
                    N_("group: '%(value)s' is not a respondent group; expected internal, external or expert"),
                    value=value,
                ),
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
                self.r.report(
                    node,
                    Msg(
                        N_("access: '%(value)s' is not an access mode; expected invitation or open"),
                        value=value,
                    ),
                )
                continue
            if mode in modes:
                self.r.report(node, Msg(N_("access: '%(value)s' is listed twice"), value=value))
            modes.append(mode)
        # Invitations are how every group is reached; a declaration without them would promise something
        # (an open-only group) the app does not enforce.
        if modes and AccessMode.INVITATION not in modes:
            self.r.report(entry.value, Msg(N_("access: list invitation as well, e.g. [invitation, open]")))
        if not nodes:
            self.r.report(
                entry.value, Msg(N_("access: declare at least [invitation], or [invitation, open]"))
            )
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
            code = self._code(fields["code"].value, dot(what, "code")) if "code" in fields else None
            label = self.text(fields["label"].value, dot(what, "label")) if "label" in fields else {}
            if code is not None:
                self.missing[missing] = (code, label, node)
        codes = [(code, m) for m, (code, _, _) in self.missing.items()]
        if len({c for c, _ in codes}) < len(codes):
            self.r.report(
                entry.value if entry else None,
                Msg(N_("missing_codes: dont_know and not_applicable share a code")),
            )

    def _code(self, node: Node, what: Label) -> str | None:
        value = self.r.text_scalar(node, what)
        if value is None:
            return None
        if not CODE_PATTERN.match(value):
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: '%(value)s' is not a valid option code (letters, digits, '_', '-', '.')"),
                    what=what,
                    value=value,
                ),
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
        entries = r.mapping(node, Msg(N_("scale")), SCALE_KEYS, required=("id", "options"))
        if entries is None:
            return
        sid = self.identifier(entries["id"].value, Msg(N_("scale id"))) if "id" in entries else None
        what: Label = Msg(N_("scale '%(id)s'"), id=sid) if sid else Msg(N_("scale"))
        if sid is not None and sid in self.scale_nodes:
            first = position(self.scale_nodes[sid])[0]
            r.report(
                entries["id"].value,
                Msg(
                    N_("%(what)s: duplicate scale id (first defined on line %(first)s)"),
                    what=what,
                    first=first,
                ),
            )
            sid = None
        kind = ScaleKind.ORDINAL
        if "kind" in entries:
            value = r.text_scalar(entries["kind"].value, dot(what, "kind"))
            try:
                kind = ScaleKind(value or "")
            except ValueError:
                if value is not None:
                    r.report(
                        entries["kind"].value,
                        Msg(
                            N_("%(what)s.kind: '%(value)s' is not ordinal or nominal"), what=what, value=value
                        ),
                    )
        flags: dict[Missing, bool] = {}
        for missing in Missing:
            if missing.value in entries:
                flags[missing] = bool(r.boolean(entries[missing.value].value, dot(what, missing.value)))
        options: list[Option] = []
        codes: dict[str, Node] = {}
        option_nodes = (
            r.sequence(entries["options"].value, dot(what, "options")) if "options" in entries else None
        )
        if option_nodes is not None and not option_nodes:
            r.report(
                entries["options"].value,
                Msg(N_("%(what)s.options: a scale needs at least one option"), what=what),
            )
        explicit_values: list[bool] = []
        for index, option_node in enumerate(option_nodes or []):
            option = self._option(
                option_node, Msg(N_("%(what)s, option %(n)s"), what=what, n=index + 1), codes
            )
            if option is not None:
                options.append(option)
                if option.missing is None:
                    explicit_values.append(option.value is not None)
        if kind is ScaleKind.ORDINAL and any(explicit_values) and not all(explicit_values):
            r.report(
                node,
                Msg(
                    N_(
                        "%(what)s: give every ordinal option a value, or none (they are then "
                        "numbered 1, 2, ...)"
                    ),
                    what=what,
                ),
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
                    Msg(
                        N_(
                            "%(what)s: the %(value)s code '%(code)s' clashes with the option on line %(line)s"
                        ),
                        what=what,
                        value=missing.value,
                        code=code,
                        line=line,
                    ),
                )
                continue
            options.append(Option(code, label, None, missing))
        if sid is not None:
            self.scale_nodes[sid] = entries["id"].value
            self.scales[sid] = Scale(sid, kind, tuple(options))

    def _option(self, node: Node, what: Label, codes: dict[str, Node]) -> Option | None:
        r = self.r
        entries = r.mapping(node, what, OPTION_KEYS, required=("code", "label"))
        if entries is None:
            return None
        code = self._code(entries["code"].value, dot(what, "code")) if "code" in entries else None
        if code is not None:
            what = Msg("%(what)s '%(code)s'", what=what, code=code)
            if code in codes:
                line = position(codes[code])[0]
                r.report(
                    entries["code"].value,
                    Msg(
                        N_("%(what)s: duplicate option code (first used on line %(line)s)"),
                        what=what,
                        line=line,
                    ),
                )
                code = None
            else:
                codes[code] = entries["code"].value
        label = self.text(entries["label"].value, dot(what, "label")) if "label" in entries else {}
        value = None
        if "value" in entries and not r.is_null(entries["value"].value):
            value = r.number(entries["value"].value, dot(what, "value"))
        missing = None
        if "missing" in entries:
            text = r.text_scalar(entries["missing"].value, dot(what, "missing"))
            try:
                missing = Missing(text or "")
            except ValueError:
                if text is not None:
                    r.report(
                        entries["missing"].value,
                        Msg(N_("%(what)s.missing: expected dont_know or not_applicable"), what=what),
                    )
            if missing is not None and code is not None and code != self.missing[missing][0]:
                r.report(
                    entries["code"].value,
                    Msg(
                        N_(
                            "%(what)s: a %(value)s option must use the code '%(missing)s' declared "
                            "in missing_codes"
                        ),
                        what=what,
                        value=missing.value,
                        missing=self.missing[missing][0],
                    ),
                )
            if missing is not None and value is not None:
                r.report(
                    entries["value"].value,
                    Msg(
                        N_("%(what)s: a %(value)s option cannot carry a value"),
                        what=what,
                        value=missing.value,
                    ),
                )
                value = None
        if code is None:
            return None
        return Option(code, label, value, missing)

    # Sections and items --------------------------------------------------------------------------------

    def _claim_id(self, value: str, node: Node, kind: str) -> bool:
        if value in self.ids:
            other_kind, other = self.ids[value]
            self.r.report(
                node,
                Msg(
                    N_("%(kind)s id '%(value)s' is already used by the %(other_kind)s on line %(other)s"),
                    kind=_KIND_WORDS.get(kind, kind),
                    value=value,
                    other_kind=_KIND_WORDS.get(other_kind, other_kind),
                    other=position(other)[0],
                ),
            )
            return False
        self.ids[value] = (kind, node)
        return True

    def _sections(self, node: Node) -> list[tuple[Section, dict[str, Entry]]]:
        nodes = self.r.sequence(node, "sections")
        if nodes is not None and not nodes:
            self.r.report(node, Msg(N_("sections: a questionnaire needs at least one section")))
        built: list[tuple[Section, dict[str, Entry]]] = []
        for index, section_node in enumerate(nodes or []):
            section = self._section(section_node, index)
            if section is not None:
                built.append(section)
        return built

    def _section(self, node: Node, index: int) -> tuple[Section, dict[str, Entry]] | None:
        r = self.r
        entries = r.mapping(
            node, Msg(N_("section %(n)s"), n=index + 1), SECTION_KEYS, required=("id", "title", "items")
        )
        if entries is None:
            return None
        sid = self.identifier(entries["id"].value, Msg(N_("section id"))) if "id" in entries else None
        if sid is not None and not self._claim_id(sid, entries["id"].value, "section"):
            sid = None
        what = Msg(N_("section '%(id)s'"), id=sid) if sid else Msg(N_("section %(n)s"), n=index + 1)
        title = self.text(entries["title"].value, dot(what, "title")) if "title" in entries else {}
        description = (
            self.text(entries["description"].value, dot(what, "description"))
            if "description" in entries
            else {}
        )
        relevant = self._expression_text(entries.get("relevant"), dot(what, "relevant"))
        items: list[Item] = []
        if "items" in entries:
            item_nodes = r.sequence(entries["items"].value, dot(what, "items"))
            if item_nodes is not None and not item_nodes:
                r.report(
                    entries["items"].value,
                    Msg(N_("%(what)s: the section is empty; give it at least one item"), what=what),
                )
            for item_index, item_node in enumerate(item_nodes or []):
                item = self._item(
                    item_node, Msg(N_("%(what)s, item %(n)s"), what=what, n=item_index + 1), index
                )
                if item is not None:
                    items.append(item)
        if sid is None:
            return None
        return Section(sid, title, tuple(items), description, relevant), entries

    def _expression_text(self, entry: Entry | None, what: Label) -> str | None:
        if entry is None or self.r.is_null(entry.value):
            return None
        return self.r.text_scalar(entry.value, what)

    def _item(self, node: Node, what: Label, section_index: int) -> Item | None:
        r = self.r
        entries = r.mapping(node, what, ITEM_KEYS, required=("id", "type", "label"))
        if entries is None:
            return None
        iid = (
            self.identifier(entries["id"].value, Msg("%(what)s: id", what=what)) if "id" in entries else None
        )
        if iid is not None and not self._claim_id(iid, entries["id"].value, "item"):
            what = Msg(N_("item '%(id)s' (line %(line)s)"), id=iid, line=position(node)[0])
            iid = None
        what = Msg(N_("item '%(id)s'"), id=iid) if iid else what
        item_type, inline_scale = self._item_type(entries.get("type"), what)
        label = self.text(entries["label"].value, dot(what, "label")) if "label" in entries else {}
        hint = self.text(entries["hint"].value, dot(what, "hint")) if "hint" in entries else {}
        scale = inline_scale
        if "scale" in entries:
            if inline_scale is not None:
                r.report(
                    entries["scale"].value,
                    Msg(N_("%(what)s: the scale is given twice (in 'type' and in 'scale')"), what=what),
                )
            scale = r.text_scalar(entries["scale"].value, dot(what, "scale"))
        scale_node = (
            entries["scale"].value
            if "scale" in entries
            else entries["type"].value
            if "type" in entries
            else node
        )
        if item_type is not None:
            self._check_scale_use(item_type, scale, scale_node, what)
        required = item_type is not ItemType.NOTE
        if "required" in entries:
            flag = r.boolean(entries["required"].value, dot(what, "required"))
            if flag is not None:
                required = flag
                if flag and item_type is ItemType.NOTE:
                    r.report(
                        entries["required"].value,
                        Msg(N_("%(what)s: a note stores no answer and cannot be required"), what=what),
                    )
        relevant = self._expression_text(entries.get("relevant"), dot(what, "relevant"))
        constraint = self._expression_text(entries.get("constraint"), dot(what, "constraint"))
        message = (
            self.text(entries["constraint_message"].value, dot(what, "constraint_message"))
            if "constraint_message" in entries
            else {}
        )
        if constraint is None and "constraint_message" in entries:
            r.report(
                entries["constraint_message"].key,
                Msg(N_("%(what)s: constraint_message without a constraint"), what=what),
            )
        minimum = self._bound(entries.get("min"), dot(what, "min"), item_type)
        maximum = self._bound(entries.get("max"), dot(what, "max"), item_type)
        if minimum is not None and maximum is not None and minimum > maximum:
            r.report(
                entries["max"].value,
                Msg(
                    N_("%(what)s: max (%(maximum)s) is below min (%(minimum)s)"),
                    what=what,
                    maximum=format(maximum, "g"),
                    minimum=format(minimum, "g"),
                ),
            )
        if item_type is ItemType.INTEGER:
            for key, bound in (("min", minimum), ("max", maximum)):
                if bound is not None and not bound.is_integer():
                    r.report(
                        entries[key].value,
                        Msg(
                            N_("%(what)s.%(key)s: an integer item needs a whole-number bound"),
                            what=what,
                            key=key,
                        ),
                    )
        scoring = self._scoring(entries.get("scoring"), what, item_type, scale, minimum, maximum)
        expressions = {k: v for k, v in (("relevant", relevant), ("constraint", constraint)) if v is not None}
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
        )
        return item

    def _item_type(self, entry: Entry | None, what: Label) -> tuple[ItemType | None, str | None]:
        if entry is None:
            return None, None
        value = self.r.text_scalar(entry.value, dot(what, "type"))
        if value is None:
            return None, None
        # XLSForm habit: "select_one agree5" names the scale in the type.
        name, _, rest = value.strip().partition(" ")
        item_type = TYPE_ALIASES.get(name)
        if item_type is None:
            self.r.report(
                entry.value,
                Msg(
                    N_("%(what)s.type: unknown item type '%(name)s'; expected one of: %(types)s"),
                    what=what,
                    name=name,
                    types=", ".join(t.value for t in ItemType),
                ),
            )
            return None, None
        inline = rest.strip() or None
        if inline is not None and not item_type.is_choice:
            self.r.report(
                entry.value,
                Msg(N_("%(what)s.type: only select_one and select_multiple name a scale"), what=what),
            )
            inline = None
        return item_type, inline

    def _check_scale_use(self, item_type: ItemType, scale: str | None, node: Node, what: Label) -> None:
        if item_type.is_choice and scale is None:
            self.r.report(
                node, Msg(N_("%(what)s: a %(value)s item needs a 'scale'"), what=what, value=item_type.value)
            )
        elif not item_type.is_choice and scale is not None:
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: a %(value)s item has no scale; only choice items do"),
                    what=what,
                    value=item_type.value,
                ),
            )
        elif scale is not None and scale not in self.scales and scale not in self.scale_nodes:
            known = ", ".join(sorted(self.scales)) or Msg(N_("none defined"))
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: unknown scale '%(scale)s' (defined scales: %(known)s)"),
                    what=what,
                    scale=scale,
                    known=known,
                ),
            )

    def _bound(self, entry: Entry | None, what: Label, item_type: ItemType | None) -> float | None:
        if entry is None or self.r.is_null(entry.value):
            return None
        value = self.r.number(entry.value, what)
        if value is not None and item_type is not None and not item_type.is_number:
            self.r.report(
                entry.value, Msg(N_("%(what)s: only integer and decimal items have bounds"), what=what)
            )
            return None
        return value

    def _scoring(
        self,
        entry: Entry | None,
        what: Label,
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
        what = dot(what, "scoring")
        fields = r.mapping(node, what, SCORING_KEYS, required=("dimension", "indicator", "direction"))
        if fields is None:
            return None
        dimension = (
            self.identifier(fields["dimension"].value, dot(what, "dimension"))
            if "dimension" in fields
            else None
        )
        indicator = (
            self.identifier(fields["indicator"].value, dot(what, "indicator"))
            if "indicator" in fields
            else None
        )
        direction = None
        if "direction" in fields:
            text = r.text_scalar(fields["direction"].value, dot(what, "direction"))
            try:
                direction = Direction(text or "")
            except ValueError:
                if text is not None:
                    r.report(
                        fields["direction"].value,
                        Msg(
                            N_("%(what)s.direction: expected integrity or risk, got '%(text)s'"),
                            what=what,
                            text=text,
                        ),
                    )
        weight = 1.0
        if "weight" in fields:
            value = r.number(fields["weight"].value, dot(what, "weight"))
            if value is not None and value <= 0:
                r.report(
                    fields["weight"].value, Msg(N_("%(what)s.weight: must be greater than 0"), what=what)
                )
            elif value is not None:
                weight = value
        if dimension is not None and self.profile is not None:
            known = {d.id for d in self.profile.dimensions}
            if dimension not in known:
                r.report(
                    fields["dimension"].value,
                    Msg(
                        N_(
                            "%(what)s.dimension: '%(dimension)s' is not a dimension of profile "
                            "'%(id)s' (known: %(known)s)"
                        ),
                        what=what,
                        dimension=dimension,
                        id=self.profile.id,
                        known=", ".join(sorted(known)),
                    ),
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
        what: Label,
    ) -> None:
        if item_type is ItemType.SELECT_ONE:
            found = self.scales.get(scale or "")
            if found is not None:
                values = {o.value for o in found.scored_options}
                if len(values) < 2:
                    self.r.report(
                        node,
                        Msg(
                            N_(
                                "%(what)s: scale '%(scale)s' needs at least two different option "
                                "values to score"
                            ),
                            what=what,
                            scale=scale,
                        ),
                    )
        elif item_type.is_number:
            if minimum is None or maximum is None or minimum == maximum:
                self.r.report(
                    node,
                    Msg(
                        N_("%(what)s: a scored number item needs 'min' and 'max' (they map it onto 0-100)"),
                        what=what,
                    ),
                )
        else:
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: only select_one and number items can be scored; write 'scoring: none'"),
                    what=what,
                ),
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
        for index, (section, entries) in enumerate(sections):
            if section.relevant is not None:
                start = first_of_section.get(index, len(self.drafts))
                self._check_expression(
                    entries["relevant"].value,
                    dot(Msg(N_("section '%(id)s'"), id=section.id), "relevant"),
                    start,
                    order,
                    by_id,
                    False,
                )
        for n, draft in enumerate(self.drafts):
            for key, allow_current in (("relevant", False), ("constraint", True)):
                if key in draft.expressions:
                    self._check_expression(
                        draft.entries[key].value,
                        dot(Msg(N_("item '%(id)s'"), id=draft.id), key) if draft.id else dot(draft.what, key),
                        n,
                        order,
                        by_id,
                        allow_current,
                    )

    def _check_expression(
        self,
        node: Node,
        what: Label,
        limit: int,
        order: Mapping[str, int],
        by_id: Mapping[str, _ItemDraft],
        is_constraint: bool,
    ) -> None:
        source = str(node.value)
        try:
            expression = compile_expression(source)
        except ExpressionError as exc:
            line, column = _expression_position(node, exc.column)
            self.r.report_at(
                line,
                column,
                Msg(
                    N_("%(what)s: %(message)s in expression %(source)s"),
                    what=what,
                    message=exc.message,
                    source=repr(source),
                ),
            )
            return
        if expression.uses_current and not is_constraint:
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: '.' (the answer being checked) is only meaningful in a constraint"),
                    what=what,
                ),
            )
        own = limit if is_constraint else -1
        for ref in sorted(expression.references):
            if ref not in order:
                hint = _closest(ref, order)
                self.r.report(
                    node,
                    Msg(
                        N_("%(what)s: refers to unknown item ${%(ref)s}%(hint)s"),
                        what=what,
                        ref=ref,
                        hint=hint,
                    ),
                )
            elif order[ref] == own:
                continue
            elif order[ref] >= limit:
                line = position(by_id[ref].node)[0]
                self.r.report(
                    node,
                    Msg(
                        N_(
                            "%(what)s: refers to ${%(ref)s}, which comes later (line %(line)s); "
                            "only earlier items can be used"
                        ),
                        what=what,
                        ref=ref,
                        line=line,
                    ),
                )
            elif by_id[ref].type is ItemType.NOTE:
                self.r.report(
                    node,
                    Msg(
                        N_("%(what)s: refers to ${%(ref)s}, a note, which has no answer"), what=what, ref=ref
                    ),
                )
        for ref, code in sorted(expression.selected_codes):
            draft = by_id.get(ref)
            if draft is None or draft.type is None or not draft.type.is_choice:
                if draft is not None and draft.type is not None:
                    self.r.report(
                        node,
                        Msg(
                            N_("%(what)s: selected() needs a choice item, but ${%(ref)s} is %(value)s"),
                            what=what,
                            ref=ref,
                            value=draft.type.value,
                        ),
                    )
                continue
            scale = self.scales.get(draft.scale or "")
            if scale is not None and scale.option(code) is None:
                self.r.report(
                    node,
                    Msg(
                        N_("%(what)s: scale '%(id)s' of ${%(ref)s} has no option '%(code)s'"),
                        what=what,
                        id=scale.id,
                        ref=ref,
                        code=code,
                    ),
                )


def _closest(name: str, known: Mapping[str, int]) -> Label:
    match = difflib.get_close_matches(name, list(known), n=1)
    return Msg(N_("; did you mean ${%(name)s}?"), name=match[0]) if match else ""


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
            problems or [Problem.of(filename, 0, 0, Msg(N_("the questionnaire could not be built")))]
        )
    return questionnaire


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


def load_questionnaire(
    source: str | os.PathLike[str], profile: ScoringProfile | None = None
) -> Questionnaire:
    """Load a questionnaire YAML file; raises :class:`QuestionnaireInvalid` listing every problem."""
    text, name = read_source(source)
    return load_questionnaire_text(text, name, profile)
