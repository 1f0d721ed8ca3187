"""What changed between two versions of one questionnaire: items added, removed, changed; sections reordered.

Pure function over two :class:`~questionnaires.model.Questionnaire` objects, so the console page, a CLI or a
test can use it alike. Items are matched by id (answers are keyed by item id, so an id is the item's identity;
a renamed id is an item removed and another added, which is what it means for the data too).

>>> from questionnaires.bundled import load_bundled_questionnaire
>>> q = load_bundled_questionnaire("spi-internal")
>>> diff_questionnaires(q, q).is_empty
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from questionnaires.model import Item, Questionnaire, Scale


@dataclass(frozen=True)
class Change:
    """One changed attribute of an item: ``what`` (``label[en]``, ``required``…) from ``old`` to ``new``."""

    what: str
    old: str
    new: str


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    section: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class QuestionnaireDiff:
    old_version: str
    new_version: str
    added: tuple[tuple[str, str], ...] = ()  # (section id, item id)
    removed: tuple[tuple[str, str], ...] = ()
    changed: tuple[ItemChange, ...] = ()
    #: Section ids in the old and the new order when the common sections' order differs.
    sections_reordered: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    sections_added: tuple[str, ...] = ()
    sections_removed: tuple[str, ...] = ()
    #: Items that moved to another section: (item id, old section, new section).
    moved: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.sections_reordered
            or self.sections_added
            or self.sections_removed
            or self.moved
        )


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _texts(what: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[Change]:
    return [
        Change(f"{what}[{lang}]", _show(old.get(lang)), _show(new.get(lang)))
        for lang in sorted(set(old) | set(new))
        if old.get(lang) != new.get(lang)
    ]


def _scale_summary(scale: Scale | None) -> str:
    if scale is None:
        return "—"
    options = ", ".join(
        f"{o.code}={_show(o.value) if o.missing is None else o.missing.value}" for o in scale.options
    )
    return f"{scale.id} ({scale.kind.value}): {options}"


def _option_labels(scale: Scale | None) -> dict[str, Mapping[str, str]]:
    return {o.code: o.label for o in scale.options} if scale is not None else {}


def _item_changes(old_q: Questionnaire, old: Item, new_q: Questionnaire, new: Item) -> list[Change]:
    changes: list[Change] = []
    if old.type != new.type:
        changes.append(Change("type", old.type.value, new.type.value))
    changes += _texts("label", old.label, new.label)
    changes += _texts("hint", old.hint, new.hint)
    old_scale, new_scale = old_q.scale_of(old), new_q.scale_of(new)
    if _scale_summary(old_scale) != _scale_summary(new_scale):
        changes.append(Change("scale", _scale_summary(old_scale), _scale_summary(new_scale)))
    old_labels, new_labels = _option_labels(old_scale), _option_labels(new_scale)
    for code in sorted(set(old_labels) & set(new_labels)):
        changes += _texts(f"option {code}", old_labels[code], new_labels[code])
    for name in ("required", "relevant", "constraint", "minimum", "maximum"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(Change(name, _show(before), _show(after)))
    changes += _texts("constraint message", old.constraint_message, new.constraint_message)
    if old.scoring != new.scoring:
        changes.append(Change("scoring", _scoring(old), _scoring(new)))
    return changes


def _scoring(item: Item) -> str:
    s = item.scoring
    if s is None:
        return "not scored"
    return f"{s.dimension} / {s.indicator}, {s.direction.value}, weight {_show(s.weight)}"


def _places(q: Questionnaire) -> dict[str, tuple[str, Item]]:
    return {item.id: (section.id, item) for section in q.sections for item in section.items}


def diff_questionnaires(old: Questionnaire, new: Questionnaire) -> QuestionnaireDiff:
    """The differences from ``old`` to ``new``, in the new questionnaire's order (removed ones in the old's).

    Comparing different questionnaire ids is allowed (the caller decides whether that makes sense).
    """
    old_places, new_places = _places(old), _places(new)
    added = tuple((sec, ident) for ident, (sec, _) in new_places.items() if ident not in old_places)
    removed = tuple((sec, ident) for ident, (sec, _) in old_places.items() if ident not in new_places)
    changed: list[ItemChange] = []
    moved: list[tuple[str, str, str]] = []
    for ident, (section, item) in new_places.items():
        if ident not in old_places:
            continue
        old_section, old_item = old_places[ident]
        if old_section != section:
            moved.append((ident, old_section, section))
        changes = _item_changes(old, old_item, new, item)
        if changes:
            changed.append(ItemChange(ident, section, tuple(changes)))
    old_sections = [s.id for s in old.sections]
    new_sections = [s.id for s in new.sections]
    common_old = tuple(s for s in old_sections if s in new_sections)
    common_new = tuple(s for s in new_sections if s in old_sections)
    return QuestionnaireDiff(
        old_version=old.version,
        new_version=new.version,
        added=added,
        removed=removed,
        changed=tuple(changed),
        sections_reordered=(common_old, common_new) if common_old != common_new else None,
        sections_added=tuple(s for s in new_sections if s not in old_sections),
        sections_removed=tuple(s for s in old_sections if s not in new_sections),
        moved=tuple(moved),
    )
