"""Immutable typed objects for a questionnaire version.

A :class:`Questionnaire` is what the loader builds from YAML (or an XLSForm import) after validation, what the
web app stores as canonical JSON, and what scoring reads item metadata from. Everything here is frozen: a
version that collected answers must never change, so nothing downstream gets the chance to mutate one.

Stored answers are keyed by item id and never depend on a label:

==================  =====================================================================
item type           stored value
==================  =====================================================================
``select_one``      the option ``code`` (``str``)
``select_multiple`` a list of option codes (wide exports: space-separated, as ODK does)
``integer``         ``int``
``decimal``         ``float``
``text``            ``str``
``long_text``       ``str``
``date``            ISO text ``YYYY-MM-DD``
``time``            ISO text ``HH:MM`` (``HH:MM:SS`` where seconds were given)
``datetime``        ISO text ``YYYY-MM-DDTHH:MM``
``calculate``       the result of its ``calculation`` as text; never shown, computed on the server
``note``            nothing is stored
==================  =====================================================================

"Don't know" and "not applicable" are ordinary options of a scale whose ``missing`` attribute says so;
their codes are declared once per questionnaire (``special_codes``). Scoring treats them as missing and counts
them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

#: Text in several languages: language code (``id``, ``en``) to text. Markdown is allowed where the format
#: says so; the app sanitises it.
Text = Mapping[str, str]


class Group(StrEnum):
    """Respondent groups of an SPI-style survey."""

    INTERNAL = "internal"
    EXTERNAL = "external"
    EXPERT = "expert"


class AccessMode(StrEnum):
    """How respondents of a group may reach the questionnaire."""

    #: A personal link, one response per invitation.
    INVITATION = "invitation"
    #: An open link (a QR code at a counter): anyone with the link, once per browser, nobody verified.
    OPEN = "open"


#: The access modes a group has when its questionnaire declares none. Open access stays with service users:
#: an open link lets anyone answer, so answers through one cannot count as employees' or experts'.
DEFAULT_ACCESS: Mapping[Group, tuple[AccessMode, ...]] = MappingProxyType(
    {
        Group.INTERNAL: (AccessMode.INVITATION,),
        Group.EXTERNAL: (AccessMode.INVITATION, AccessMode.OPEN),
        Group.EXPERT: (AccessMode.INVITATION,),
    }
)


class ItemType(StrEnum):
    SELECT_ONE = "select_one"
    SELECT_MULTIPLE = "select_multiple"
    INTEGER = "integer"
    DECIMAL = "decimal"
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    #: A value computed from other answers (``calculation``), stored like an answer, never shown or scored.
    CALCULATE = "calculate"
    NOTE = "note"

    @property
    def is_choice(self) -> bool:
        return self in (ItemType.SELECT_ONE, ItemType.SELECT_MULTIPLE)

    @property
    def is_number(self) -> bool:
        return self in (ItemType.INTEGER, ItemType.DECIMAL)

    @property
    def is_shown(self) -> bool:
        """Whether respondents see the item (a calculation is computed, never shown)."""
        return self is not ItemType.CALCULATE

    @property
    def stores_answer(self) -> bool:
        return self is not ItemType.NOTE

    @property
    def is_free_text(self) -> bool:
        """Answers in the respondent's own words: they can name people, so exports leave them out by
        default."""
        return self in (ItemType.TEXT, ItemType.LONG_TEXT)


class ScaleKind(StrEnum):
    #: Ordered points with numeric values; scorable.
    ORDINAL = "ordinal"
    #: Unordered options (yes/no, what was given, ...). Scorable only where options carry values.
    NOMINAL = "nominal"


class Missing(StrEnum):
    DONT_KNOW = "dont_know"
    NOT_APPLICABLE = "not_applicable"


class Direction(StrEnum):
    #: A higher answer value means more integrity (e.g. "how transparent is ...": never..always).
    INTEGRITY = "integrity"
    #: A higher answer value means more risk (e.g. "did you see a bribe": no=0, yes=1).
    RISK = "risk"


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Option:
    """One answer option with a stable code; ``value`` is what scoring uses (``None``: not scorable)."""

    code: str
    label: Text
    value: float | None = None
    missing: Missing | None = None
    #: The choice row's other columns (``province: jb``), read by a ``choice_filter`` as bare names.
    attributes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", _frozen(self.label))
        object.__setattr__(self, "attributes", _frozen(self.attributes))


@dataclass(frozen=True)
class Scale:
    """A reusable list of options, referred to by id from choice items."""

    id: str
    kind: ScaleKind
    options: tuple[Option, ...]

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    @property
    def scored_options(self) -> tuple[Option, ...]:
        """Options that carry a value and are not a missing code, in declared order."""
        return tuple(o for o in self.options if o.value is not None and o.missing is None)

    @property
    def value_range(self) -> tuple[float, float] | None:
        values = [o.value for o in self.scored_options if o.value is not None]
        return (min(values), max(values)) if values else None


@dataclass(frozen=True)
class ItemScoring:
    """How an item enters the index: its dimension, indicator, direction and weight within the indicator."""

    dimension: str
    indicator: str
    direction: Direction
    weight: float = 1.0


@dataclass(frozen=True)
class Item:
    id: str
    type: ItemType
    label: Text
    hint: Text = field(default_factory=dict)
    scale: str | None = None
    required: bool = True
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    scoring: ItemScoring | None = None
    #: What the respondent is told when a required item is left empty (empty: the app's own message).
    required_message: Text = field(default_factory=dict)
    #: The expression a ``calculate`` item computes.
    calculation: str | None = None
    #: Which options of the scale are offered: an expression over each option's ``name`` and attributes.
    choice_filter: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", _frozen(self.label))
        object.__setattr__(self, "hint", _frozen(self.hint))
        object.__setattr__(self, "constraint_message", _frozen(self.constraint_message))
        object.__setattr__(self, "required_message", _frozen(self.required_message))


@dataclass(frozen=True)
class Section:
    """One page of the questionnaire."""

    id: str
    title: Text
    items: tuple[Item, ...]
    description: Text = field(default_factory=dict)
    relevant: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _frozen(self.title))
        object.__setattr__(self, "description", _frozen(self.description))


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    title: Text
    group: Group
    languages: tuple[str, ...]
    sections: tuple[Section, ...]
    scales: Mapping[str, Scale] = field(default_factory=dict)
    introduction: Text = field(default_factory=dict)
    consent: Text = field(default_factory=dict)
    #: Codes of the special options, e.g. ``{"dont_know": "dk", "not_applicable": "na"}``.
    special_codes: Mapping[str, str] = field(default_factory=dict)
    #: The declared access modes; ``None`` is the group's default (:data:`DEFAULT_ACCESS`). A declaration
    #: equal to the default is stored as ``None``: it leaves the canonical JSON (and the hash) as it was.
    access: tuple[AccessMode, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("title", "introduction", "consent", "scales", "special_codes"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if self.access is not None:
            # One order and no repeats, so equal declarations give equal canonical JSON.
            declared = tuple(m for m in AccessMode if m in {AccessMode(a) for a in self.access})
            object.__setattr__(self, "access", None if declared == DEFAULT_ACCESS[self.group] else declared)

    @property
    def access_modes(self) -> tuple[AccessMode, ...]:
        """The ways respondents may reach this questionnaire: the declaration, or the group's default."""
        return self.access if self.access is not None else DEFAULT_ACCESS[self.group]

    @property
    def allows_open_access(self) -> bool:
        return AccessMode.OPEN in self.access_modes

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def iter_items(self) -> Iterator[Item]:
        for section in self.sections:
            yield from section.items

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(self.iter_items())

    def item(self, item_id: str) -> Item:
        for item in self.iter_items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale_of(self, item: Item) -> Scale | None:
        return self.scales.get(item.scale) if item.scale else None

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.iter_items() if i.scoring is not None)

    # Canonical form ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready dict; the inverse of :meth:`from_dict`."""
        plain: dict[str, Any] = _plain(self)
        if plain["access"] is None:
            # Left out rather than written as null: versions stored before ``access`` existed keep their hash.
            del plain["access"]
        # Likewise the later item and option fields, where unused.
        for section in plain["sections"]:
            for item in section["items"]:
                for key in _LATER_ITEM_FIELDS:
                    if not item[key]:
                        del item[key]
        for scale in plain["scales"].values():
            for option in scale["options"]:
                if not option["attributes"]:
                    del option["attributes"]
        return plain

    def canonical_json(self) -> str:
        """Sorted keys, no insignificant whitespace: equal questionnaires give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def content_hash(self) -> str:
        """``sha256:`` + hex digest of the canonical JSON; identifies a version by its content."""
        return "sha256:" + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Questionnaire:
        """Rebuild from :meth:`to_dict` output (e.g. canonical JSON stored in the database)."""
        scales = {
            sid: Scale(
                id=s["id"],
                kind=ScaleKind(s["kind"]),
                options=tuple(
                    Option(
                        code=o["code"],
                        label=o["label"],
                        value=o.get("value"),
                        missing=Missing(o["missing"]) if o.get("missing") else None,
                        attributes=o.get("attributes", {}),
                    )
                    for o in s["options"]
                ),
            )
            for sid, s in data.get("scales", {}).items()
        }
        sections = tuple(
            Section(
                id=sec["id"],
                title=sec["title"],
                description=sec.get("description", {}),
                relevant=sec.get("relevant"),
                items=tuple(_item_from_dict(i) for i in sec["items"]),
            )
            for sec in data["sections"]
        )
        return cls(
            id=data["id"],
            version=data["version"],
            title=data["title"],
            group=Group(data["group"]),
            languages=tuple(data["languages"]),
            sections=sections,
            scales=scales,
            introduction=data.get("introduction", {}),
            consent=data.get("consent", {}),
            special_codes=data.get("special_codes", {}),
            access=tuple(AccessMode(a) for a in data["access"]) if data.get("access") else None,
        )

    @classmethod
    def from_json(cls, text: str) -> Questionnaire:
        return cls.from_dict(json.loads(text))


#: Item fields added after versions were stored: left out of the canonical JSON when empty.
_LATER_ITEM_FIELDS = ("required_message", "calculation", "choice_filter")


def _item_from_dict(data: Mapping[str, Any]) -> Item:
    scoring = data.get("scoring")
    return Item(
        id=data["id"],
        type=ItemType(data["type"]),
        label=data["label"],
        hint=data.get("hint", {}),
        scale=data.get("scale"),
        required=data.get("required", True),
        relevant=data.get("relevant"),
        constraint=data.get("constraint"),
        constraint_message=data.get("constraint_message", {}),
        minimum=data.get("minimum"),
        maximum=data.get("maximum"),
        required_message=data.get("required_message", {}),
        calculation=data.get("calculation"),
        choice_filter=data.get("choice_filter"),
        scoring=(
            ItemScoring(
                dimension=scoring["dimension"],
                indicator=scoring["indicator"],
                direction=Direction(scoring["direction"]),
                weight=scoring.get("weight", 1.0),
            )
            if scoring
            else None
        ),
    )


def _plain(value: Any) -> Any:
    """Dataclasses, enums, mappings and tuples to JSON-ready values (enums become their string value)."""
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
