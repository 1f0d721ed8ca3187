"""The questionnaire builder's scales: the special codes (``missing_codes``), scales and their options."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node

from questionnaires import answer_rules
from questionnaires.builder import (
    CODE_PATTERN,
    DEFAULT_MISSING,
    MISSING_KEYS,
    OPTION_KEYS,
    SCALE_KEYS,
    _Builder,
    _ItemDraft,
)
from questionnaires.model import (
    Missing,
    Option,
    Scale,
    ScaleKind,
)
from questionnaires.problems import N_, Label, Msg, dot
from questionnaires.profile import ScoringProfile
from questionnaires.yamlsource import Entry, Reader, position


class _ScalesBuilder(_Builder):
    def __init__(self, reader: Reader, profile: ScoringProfile | None) -> None:
        super().__init__(reader)
        self.profile = profile
        self.missing: dict[Missing, tuple[str, dict[str, str], Node | None]] = {}
        self.scales: dict[str, Scale] = {}
        self.scale_nodes: dict[str, Node] = {}
        self.ids: dict[str, tuple[str, Node]] = {}
        self.drafts: list[_ItemDraft] = []
        #: Per scale id, how problems name each option and its entries (for ``${}`` in option labels).
        self.option_entries: dict[str, list[tuple[Label, dict[str, Entry]]]] = {}

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
        labelled: list[tuple[Label, dict[str, Entry]]] = []
        for index, option_node in enumerate(option_nodes or []):
            option = self._option(
                option_node, Msg(N_("%(what)s, option %(n)s"), what=what, n=index + 1), codes
            )
            if option is not None and isinstance(option_node, MappingNode):
                label_entries = {
                    str(k.value): Entry(k, v) for k, v in option_node.value if str(k.value) == "label"
                }
                labelled.append(
                    (Msg(N_("%(what)s, option '%(code)s'"), what=what, code=option.code), label_entries)
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
            self.option_entries[sid] = labelled

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
        attributes = answer_rules.option_attributes(r, entries, what)
        if code is None:
            return None
        return Option(code, label, value, missing, attributes)
