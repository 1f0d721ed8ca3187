"""Build a :class:`Questionnaire` from YAML, reporting every problem with its line and column.

Loading and validating are one pass over PyYAML's node graph: whatever can be checked locally (types, keys,
ids) is checked while building; what needs the whole questionnaire (expressions, scales, languages) is checked
afterwards with the node of each value kept at hand, so even those problems point at their exact place.

The builder is in parts: :mod:`.builder` (the format's names and keys, texts, ids), :mod:`.loader_scales`
(missing codes, scales, options), :mod:`.loader_checks` (scales in use, bounds, scoring, expressions) and
this module (the document, its sections and items, and the entry points).
"""

from __future__ import annotations

import os

from yaml.nodes import Node

from questionnaires import answer_rules
from questionnaires.builder import (
    _KIND_WORDS,
    DOCUMENT_ID_PATTERN,
    EXPRESSION_KEYS,
    ITEM_KEYS,
    LANGUAGE_PATTERN,
    QUESTIONNAIRE_KEYS,
    SECTION_KEYS,
    TYPE_ALIASES,
    _ItemDraft,
    read_source,
)
from questionnaires.loader_checks import _CheckingBuilder
from questionnaires.model import (
    AccessMode,
    Group,
    Item,
    ItemType,
    Questionnaire,
    Section,
)
from questionnaires.problems import N_, Label, Msg, Problem, QuestionnaireInvalid, dot
from questionnaires.profile import ScoringProfile
from questionnaires.yamlsource import Entry, Reader, compose, position


class _QuestionnaireBuilder(_CheckingBuilder):
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
        entries = r.mapping(node, what, ITEM_KEYS, required=("id", "type"))
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
        override, required_message, calculation, choice_filter = answer_rules.item_features(
            self, entries, node, what, item_type
        )
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
        required = required if override is None else override
        answer_rules.check_required_message(r, entries, what, required)
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


def load_questionnaire(
    source: str | os.PathLike[str], profile: ScoringProfile | None = None
) -> Questionnaire:
    """Load a questionnaire YAML file; raises :class:`QuestionnaireInvalid` listing every problem."""
    text, name = read_source(source)
    return load_questionnaire_text(text, name, profile)
