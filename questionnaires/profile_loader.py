"""Build a :class:`ScoringProfile` from YAML, reporting every problem with its line and column."""

from __future__ import annotations

import math
import os

from yaml.nodes import Node

from questionnaires.builder import DOCUMENT_ID_PATTERN, ID_PATTERN, _Builder, read_source
from questionnaires.model import Group
from questionnaires.problems import N_, Label, Msg, Problem, QuestionnaireInvalid, dot
from questionnaires.profile import Category, CorrectionRule, Dimension, ScoringProfile
from questionnaires.yamlsource import Entry, Reader, compose, position

PROFILE_KEYS = (
    "kind",
    "id",
    "version",
    "title",
    "languages",
    "source",
    "group_weights",
    "dimensions",
    "categories",
    "min_respondents_per_group",
    "min_cell",
    "min_share_answered",
    "corrections",
    "max_correction",
    "display_scale",
)
DIMENSION_KEYS = ("id", "label", "weight", "recommendation")
CATEGORY_KEYS = ("id", "label", "lower", "upper")
CORRECTION_KEYS = ("id", "label", "points_per_case", "max_points")

#: Group weights must add up to 1 within this tolerance (they are written with a few decimals).
WEIGHT_SUM_TOLERANCE = 1e-6


class _ProfileBuilder(_Builder):
    def build(self, root: Node) -> ScoringProfile | None:
        r = self.r
        entries = r.mapping(
            root,
            Msg(N_("profile")),
            PROFILE_KEYS,
            required=("id", "version", "title", "group_weights", "dimensions"),
        )
        if entries is None:
            return None
        if "kind" in entries:
            kind = r.text_scalar(entries["kind"].value, "kind")
            if kind is not None and kind != "profile":
                r.report(
                    entries["kind"].value, Msg(N_("kind: expected 'profile' here, got '%(kind)s'"), kind=kind)
                )
        pid = self.identifier(entries["id"].value, "id", DOCUMENT_ID_PATTERN) if "id" in entries else None
        version = r.text_scalar(entries["version"].value, "version") if "version" in entries else None
        title = self.text(entries["title"].value, "title") if "title" in entries else {}
        self.languages = self._declared_languages(entries.get("languages"), tuple(title))
        source = self.text(entries["source"].value, "source") if "source" in entries else {}
        weights = self._group_weights(entries.get("group_weights"))
        dimensions = self._dimensions(entries.get("dimensions"))
        categories = self._categories(entries.get("categories"))
        if "categories" not in entries:
            categories = []
        corrections = self._corrections(entries.get("corrections"))
        min_respondents = self._positive_int(
            entries.get("min_respondents_per_group"), "min_respondents_per_group", 30
        )
        min_cell = self._positive_int(entries.get("min_cell"), "min_cell", 5)
        min_share = 0.5
        if "min_share_answered" in entries:
            value = r.number(entries["min_share_answered"].value, "min_share_answered")
            if value is not None and not 0 < value <= 1:
                r.report(
                    entries["min_share_answered"].value,
                    Msg(N_("min_share_answered: must be above 0 and at most 1")),
                )
            elif value is not None:
                min_share = value
        max_correction = self._optional_positive(entries.get("max_correction"), "max_correction")
        display_scale = self._optional_positive(entries.get("display_scale"), "display_scale") or 100.0
        self.check_languages()
        if r.problems or pid is None or version is None:
            return None
        return ScoringProfile(
            id=pid,
            version=version,
            title=title,
            group_weights=weights,
            dimensions=tuple(dimensions),
            categories=tuple(categories),
            min_respondents_per_group=min_respondents,
            min_cell=min_cell,
            min_share_answered=min_share,
            corrections=tuple(corrections),
            max_correction=max_correction,
            display_scale=display_scale,
            source=source,
        )

    def _declared_languages(self, entry: Entry | None, from_title: tuple[str, ...]) -> tuple[str, ...]:
        if entry is None:
            return from_title
        nodes = self.r.sequence(entry.value, "languages") or []
        found = [value for node in nodes if (value := self.r.text_scalar(node, "languages")) is not None]
        return tuple(dict.fromkeys(found))

    def _group_weights(self, entry: Entry | None) -> dict[Group, float]:
        weights: dict[Group, float] = {}
        if entry is None:
            return weights
        fields = self.r.mapping(entry.value, "group_weights", [g.value for g in Group])
        if fields is None:
            return weights
        if not fields:
            self.r.report(
                entry.value, Msg(N_("group_weights: give the weight of at least one respondent group"))
            )
        for name, field_entry in fields.items():
            value = self.r.number(field_entry.value, dot("group_weights", name))
            if value is not None and value < 0:
                self.r.report(
                    field_entry.value, Msg(N_("group_weights.%(name)s: must not be negative"), name=name)
                )
            elif value is not None:
                weights[Group(name)] = value
        total = sum(weights.values())
        if (
            len(weights) == len(fields)
            and fields
            and not math.isclose(total, 1.0, abs_tol=WEIGHT_SUM_TOLERANCE)
        ):
            self.r.report(
                entry.value,
                Msg(N_("group_weights: the weights add up to %(total)s, not 1"), total=format(total, "g")),
            )
        return weights

    def _list(self, entry: Entry | None, what: Label) -> list[Node]:
        if entry is None:
            return []
        nodes = self.r.sequence(entry.value, what)
        if nodes is not None and not nodes:
            self.r.report(entry.value, Msg(N_("%(what)s: the list is empty"), what=what))
        return nodes or []

    def _unique(self, seen: dict[str, Node], value: str | None, node: Node, what: Label) -> str | None:
        if value is None:
            return None
        if value in seen:
            self.r.report(
                node,
                Msg(
                    N_("%(what)s: duplicate id '%(value)s' (first used on line %(seen)s)"),
                    what=what,
                    value=value,
                    seen=position(seen[value])[0],
                ),
            )
            return None
        seen[value] = node
        return value

    def _dimensions(self, entry: Entry | None) -> list[Dimension]:
        built: list[Dimension] = []
        seen: dict[str, Node] = {}
        for index, node in enumerate(self._list(entry, "dimensions")):
            what: Label = Msg(N_("dimension %(n)s"), n=index + 1)
            fields = self.r.mapping(node, what, DIMENSION_KEYS, required=("id", "label"))
            if fields is None:
                continue
            did = self.identifier(fields["id"].value, dot(what, "id"), ID_PATTERN) if "id" in fields else None
            did = self._unique(seen, did, fields["id"].value, what) if "id" in fields else None
            what = Msg(N_("dimension '%(id)s'"), id=did) if did else what
            label = self.text(fields["label"].value, dot(what, "label")) if "label" in fields else {}
            weight = self._optional_positive(fields.get("weight"), dot(what, "weight")) or 1.0
            recommendation = (
                self.text(fields["recommendation"].value, dot(what, "recommendation"))
                if "recommendation" in fields
                else {}
            )
            if did is not None:
                built.append(Dimension(did, label, weight, recommendation))
        return built

    def _categories(self, entry: Entry | None) -> list[Category]:
        built: list[tuple[Category, Node]] = []
        seen: dict[str, Node] = {}
        # An empty list is allowed: some methodologies (ACRC) grade by rank, not by fixed bands.
        nodes = self.r.sequence(entry.value, "categories") if entry is not None else None
        for index, node in enumerate(nodes or []):
            what = Msg(N_("category %(n)s"), n=index + 1)
            fields = self.r.mapping(node, what, CATEGORY_KEYS, required=("id", "label", "lower", "upper"))
            if fields is None:
                continue
            cid = self.identifier(fields["id"].value, dot(what, "id"), ID_PATTERN) if "id" in fields else None
            cid = self._unique(seen, cid, fields["id"].value, what) if "id" in fields else None
            what = Msg(N_("category '%(id)s'"), id=cid) if cid else what
            label = self.text(fields["label"].value, dot(what, "label")) if "label" in fields else {}
            lower = self.r.number(fields["lower"].value, dot(what, "lower")) if "lower" in fields else None
            upper = self.r.number(fields["upper"].value, dot(what, "upper")) if "upper" in fields else None
            if lower is not None and upper is not None and lower >= upper:
                self.r.report(
                    fields["upper"].value,
                    Msg(
                        N_("%(what)s: upper (%(upper)s) must be above lower (%(lower)s)"),
                        what=what,
                        upper=format(upper, "g"),
                        lower=format(lower, "g"),
                    ),
                )
                continue
            for key, bound in (("lower", lower), ("upper", upper)):
                if bound is not None and not 0 <= bound <= 100:
                    self.r.report(
                        fields[key].value,
                        Msg(N_("%(what)s.%(key)s: categories lie on the 0-100 index"), what=what, key=key),
                    )
            if cid is not None and lower is not None and upper is not None:
                built.append((Category(cid, label, lower, upper), node))
        # Bands must tile 0-100 in order, so every index value falls into exactly one category.
        expected = 0.0
        for category, node in built:
            if not math.isclose(category.lower, expected):
                self.r.report(
                    node,
                    Msg(
                        N_(
                            "category '%(id)s': starts at %(lower)s, but the previous band ends at "
                            "%(expected)s; categories must cover 0-100 in order without gaps or "
                            "overlaps"
                        ),
                        id=category.id,
                        lower=format(category.lower, "g"),
                        expected=format(expected, "g"),
                    ),
                )
            expected = category.upper
        if built and not math.isclose(expected, 100.0):
            self.r.report(
                built[-1][1], Msg(N_("category '%(id)s': the last band must end at 100"), id=built[-1][0].id)
            )
        return [c for c, _ in built]

    def _corrections(self, entry: Entry | None) -> list[CorrectionRule]:
        built: list[CorrectionRule] = []
        seen: dict[str, Node] = {}
        if entry is None:
            return built
        for index, node in enumerate(self.r.sequence(entry.value, "corrections") or []):
            what = Msg(N_("correction %(n)s"), n=index + 1)
            fields = self.r.mapping(node, what, CORRECTION_KEYS, required=("id", "label", "points_per_case"))
            if fields is None:
                continue
            rid = self.identifier(fields["id"].value, dot(what, "id"), ID_PATTERN) if "id" in fields else None
            rid = self._unique(seen, rid, fields["id"].value, what) if "id" in fields else None
            what = Msg(N_("correction '%(id)s'"), id=rid) if rid else what
            label = self.text(fields["label"].value, dot(what, "label")) if "label" in fields else {}
            points = self._optional_positive(fields.get("points_per_case"), dot(what, "points_per_case"))
            max_points = self._optional_positive(fields.get("max_points"), dot(what, "max_points"))
            if rid is not None and points is not None:
                built.append(CorrectionRule(rid, label, points, max_points))
        return built

    def _positive_int(self, entry: Entry | None, what: Label, default: int) -> int:
        if entry is None:
            return default
        value = self.r.integer(entry.value, what)
        if value is not None and value < 1:
            self.r.report(entry.value, Msg(N_("%(what)s: must be at least 1"), what=what))
            return default
        return default if value is None else value

    def _optional_positive(self, entry: Entry | None, what: Label) -> float | None:
        if entry is None or self.r.is_null(entry.value):
            return None
        value = self.r.number(entry.value, what)
        if value is not None and value <= 0:
            self.r.report(entry.value, Msg(N_("%(what)s: must be greater than 0"), what=what))
            return None
        return value


def build_profile(root: Node, filename: str) -> tuple[ScoringProfile | None, list[Problem]]:
    reader = Reader(filename)
    profile = _ProfileBuilder(reader).build(root)
    problems = reader.sorted_problems()
    return (None if problems else profile), problems


def load_profile_text(text: str, filename: str = "<string>") -> ScoringProfile:
    """Load a scoring profile from YAML text; raises :class:`QuestionnaireInvalid` listing every problem."""
    root, problems = compose(text, filename)
    if root is None:
        raise QuestionnaireInvalid(problems)
    profile, problems = build_profile(root, filename)
    if profile is None:
        raise QuestionnaireInvalid(
            problems or [Problem.of(filename, 0, 0, Msg(N_("the profile could not be built")))]
        )
    return profile


def load_profile(source: str | os.PathLike[str]) -> ScoringProfile:
    """Load a scoring profile YAML file; raises :class:`QuestionnaireInvalid` listing every problem."""
    text, name = read_source(source)
    return load_profile_text(text, name)
