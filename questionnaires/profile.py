"""Scoring profiles: the methodology of an index as versioned configuration, not code.

Weights, dimensions, category cut-offs, correction rules and minimum sample sizes change over the years and
between methodologies (KPK's SPI, Korea's ACRC), so a campaign chooses a profile such as ``spi-2024`` or
``acrc-2017``. The loader and validator for profile YAML live beside the questionnaire loader.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from questionnaires.model import Group, Text, _plain


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Text
    #: Weight of the dimension within a group's index (renormalised over the dimensions a group has).
    weight: float = 1.0
    #: What an institution may do where this dimension is weak (the report's high-risk sections).
    recommendation: Text = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", MappingProxyType(dict(self.label)))
        object.__setattr__(self, "recommendation", MappingProxyType(dict(self.recommendation)))


@dataclass(frozen=True)
class Category:
    """A half-open band ``[lower, upper)`` of the 0–100 index; the top category includes its upper bound."""

    id: str
    label: Text
    lower: float
    upper: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", MappingProxyType(dict(self.label)))


@dataclass(frozen=True)
class CorrectionRule:
    """Points deducted from the composite index (0–100 scale) per case of an objective finding."""

    id: str
    label: Text
    points_per_case: float
    max_points: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", MappingProxyType(dict(self.label)))


@dataclass(frozen=True)
class ScoringProfile:
    id: str
    version: str
    title: Text
    #: Weight of each respondent group in the composite; renormalised (and flagged) when a group is missing.
    group_weights: Mapping[Group, float]
    dimensions: tuple[Dimension, ...]
    categories: tuple[Category, ...]
    #: Fewer respondents than this in a group of an institution/unit: that group's result is not published.
    min_respondents_per_group: int = 30
    #: Small-cell suppression threshold for any displayed cell (campaigns may raise it).
    min_cell: int = 5
    #: A respondent's indicator/dimension score needs at least this share of its scored items answered.
    min_share_answered: float = 0.5
    corrections: tuple[CorrectionRule, ...] = ()
    #: Maximum correction over all rules, in index points (``None``: no cap).
    max_correction: float | None = None
    #: Scale on which the index is displayed (100 for SPI, 10 for ACRC 2017); computation is on 0–100.
    display_scale: float = 100.0
    #: Where the numbers come from, and which of them are unconfirmed defaults.
    source: Text = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "group_weights",
            MappingProxyType({Group(k): float(v) for k, v in self.group_weights.items()}),
        )
        for name in ("title", "source"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def category_of(self, index: float) -> Category | None:
        """The category whose band holds ``index`` (the last band is closed above)."""
        for i, cat in enumerate(self.categories):
            last = i == len(self.categories) - 1
            if cat.lower <= index < cat.upper or (last and index == cat.upper):
                return cat
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        # A dimension without recommendation texts is written as before they existed, so the content hash
        # of a profile that has none (and of every campaign's stored copy) stays what it was.
        for dim in data["dimensions"]:
            if not dim.get("recommendation"):
                dim.pop("recommendation", None)
        return data

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoringProfile:
        return cls(
            id=data["id"],
            version=data["version"],
            title=data["title"],
            group_weights=data["group_weights"],
            dimensions=tuple(Dimension(**d) for d in data["dimensions"]),
            categories=tuple(Category(**c) for c in data["categories"]),
            min_respondents_per_group=data.get("min_respondents_per_group", 30),
            min_cell=data.get("min_cell", 5),
            min_share_answered=data.get("min_share_answered", 0.5),
            corrections=tuple(CorrectionRule(**c) for c in data.get("corrections", ())),
            max_correction=data.get("max_correction"),
            display_scale=data.get("display_scale", 100.0),
            source=data.get("source", {}),
        )
