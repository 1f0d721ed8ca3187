"""The questionnaire builder's checks that need more than one value: scales in use, bounds, scoring, and
the expressions (references to earlier items, options of their scales).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from yaml.nodes import Node, ScalarNode

from questionnaires import answer_rules
from questionnaires.builder import EXPRESSION_KEYS, NOT_SCORED, SCORING_KEYS, _ItemDraft
from questionnaires.expressions import ExpressionError, compile_expression
from questionnaires.loader_scales import _ScalesBuilder
from questionnaires.model import (
    Direction,
    ItemScoring,
    ItemType,
    Section,
)
from questionnaires.problems import N_, Label, Msg, dot
from questionnaires.yamlsource import Entry, position


class _CheckingBuilder(_ScalesBuilder):
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

        def type_of(ref: str) -> ItemType | None:
            return by_id[ref].type if ref in by_id else None

        for index, (section, entries) in enumerate(sections):
            answer_rules.check_piping(
                self.r,
                entries,
                Msg(N_("section '%(id)s'"), id=section.id),
                first_of_section.get(index, len(self.drafts)),
                order,
                type_of,
                ("title", "description"),
            )
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
            what = Msg(N_("item '%(id)s'"), id=draft.id) if draft.id else draft.what
            for key in EXPRESSION_KEYS:
                if key in draft.expressions:
                    self._check_expression(
                        draft.entries[key].value,
                        dot(what, key),
                        n,
                        order,
                        by_id,
                        key == "constraint",
                        key,
                        draft,
                    )
            answer_rules.check_piping(self.r, draft.entries, what, n, order, type_of)
        # An option's label may show an answer given before the first item that offers the option.
        first_use: dict[str, int] = {}
        for n, draft in enumerate(self.drafts):
            if draft.scale is not None:
                first_use.setdefault(draft.scale, n)
        for scale_id, options in self.option_entries.items():
            for label, entries in options:
                answer_rules.check_piping(
                    self.r,
                    entries,
                    label,
                    first_use.get(scale_id, len(self.drafts)),
                    order,
                    type_of,
                    ("label",),
                )

    def _check_expression(
        self,
        node: Node,
        what: Label,
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
        scale = self.scales.get(draft.scale or "") if draft is not None else None
        answer_rules.check_columns(self.r, node, what, source, expression.columns, key, scale)
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
