"""The loader's rules for calculations, cascading selects, required messages and answers shown in texts.

Kept apart from :mod:`questionnaires.loader` so that module stays about the core format; the loader calls
these while it builds an item (:func:`item_features`, :func:`option_attributes`) and when it checks the
expressions of the whole questionnaire (:func:`check_piping`, :func:`check_columns`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Protocol

from yaml.nodes import MappingNode, Node, ScalarNode

from questionnaires.model import ItemType, Scale
from questionnaires.problems import N_, Label, Msg, dot
from questionnaires.yamlsource import Entry, Reader

#: Column names of an XLSForm choices sheet that an option attribute cannot take (an export writes each
#: attribute as a column).
RESERVED_ATTRIBUTES = frozenset({"name", "label", "list_name", "value", "image", "audio", "video", "media"})
#: ``${id}`` inserted into a label or hint.
PIPED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Builder(Protocol):
    r: Reader

    def text(self, node: Node, what: Label) -> dict[str, str]: ...


def _expression_text(r: Reader, entry: Entry | None, what: Label) -> str | None:
    if entry is None or r.is_null(entry.value):
        return None
    return r.text_scalar(entry.value, what)


def item_features(
    builder: _Builder, entries: Mapping[str, Entry], node: Node, what: Label, item_type: ItemType | None
) -> tuple[bool | None, dict[str, str], str | None, str | None]:
    """An item's ``required_message``, ``calculation`` and ``choice_filter``, checked.

    Returns ``(required override, required message, calculation, choice filter)``; the override is
    ``False`` for a calculation (never asked), ``None`` otherwise.
    """
    r = builder.r
    override = None
    if item_type is ItemType.CALCULATE:
        override = False
        if "required" in entries and r.boolean(entries["required"].value, dot(what, "required")):
            r.report(
                entries["required"].value,
                Msg(
                    N_("%(what)s: a calculation is computed, never asked, and cannot be required"), what=what
                ),
            )
    if "label" not in entries and item_type is not ItemType.CALCULATE:
        r.report(node, Msg(N_("%(what)s: missing required key '%(key)s'"), what=what, key="label"))
    message: dict[str, str] = {}
    if "required_message" in entries:
        message = builder.text(entries["required_message"].value, dot(what, "required_message"))
    calculation = _expression_text(r, entries.get("calculation"), dot(what, "calculation"))
    if item_type is ItemType.CALCULATE and calculation is None:
        r.report(node, Msg(N_("%(what)s: a calculate item needs a 'calculation'"), what=what))
    elif item_type is not None and item_type is not ItemType.CALCULATE and calculation is not None:
        r.report(
            entries["calculation"].key,
            Msg(N_("%(what)s: only calculate items have a calculation"), what=what),
        )
        calculation = None
    choice_filter = _expression_text(r, entries.get("choice_filter"), dot(what, "choice_filter"))
    if choice_filter is not None and item_type is not None and not item_type.is_choice:
        r.report(
            entries["choice_filter"].key,
            Msg(N_("%(what)s: only choice items have a choice_filter"), what=what),
        )
        choice_filter = None
    return override, message, calculation, choice_filter


def check_required_message(r: Reader, entries: Mapping[str, Entry], what: Label, required: bool) -> None:
    if "required_message" in entries and not required:
        r.report(
            entries["required_message"].key,
            Msg(N_("%(what)s: required_message on an item that is not required"), what=what),
        )


def option_attributes(r: Reader, entries: Mapping[str, Entry], what: Label) -> dict[str, str]:
    """An option's ``attributes``: the columns of its choice row that a ``choice_filter`` reads."""
    found: dict[str, str] = {}
    if "attributes" not in entries:
        return found
    for key, entry in (
        r.mapping(entries["attributes"].value, dot(what, "attributes"), allowed=None) or {}
    ).items():
        if not _ID.match(key) or key in RESERVED_ATTRIBUTES or key.startswith("spi_"):
            r.report(
                entry.key,
                Msg(N_("%(what)s.attributes: '%(key)s' is not a usable column name"), what=what, key=key),
            )
            continue
        text = r.text_scalar(entry.value, dot(dot(what, "attributes"), key))
        if text is not None:
            found[key] = text
    return found


def check_piping(
    r: Reader,
    entries: Mapping[str, Entry],
    what: Label,
    limit: int,
    order: Mapping[str, int],
    type_of: Callable[[str], ItemType | None],
    keys: tuple[str, ...] = ("label", "hint", "constraint_message", "required_message"),
) -> None:
    """``${id}`` in the texts under ``keys`` (an item's label, hint and messages; a section's title and
    description; an option's label) shows an earlier answer: the item must exist and come before."""
    for key in keys:
        entry = entries.get(key)
        if entry is None:
            continue
        value = entry.value
        # Anything but a text or a mapping of texts is reported where the text is read.
        nodes = (
            [value]
            if isinstance(value, ScalarNode)
            else [v for _, v in value.value]
            if isinstance(value, MappingNode)
            else []
        )
        for node in nodes:
            if not isinstance(node, ScalarNode):
                continue
            for ref in sorted(set(PIPED.findall(str(node.value)))):
                where = dot(what, key)
                if ref not in order:
                    close = difflib.get_close_matches(ref, list(order), n=1)
                    hint: Label = Msg(N_("; did you mean ${%(name)s}?"), name=close[0]) if close else ""
                    r.report(
                        node,
                        Msg(
                            N_("%(what)s: refers to unknown item ${%(ref)s}%(hint)s"),
                            what=where,
                            ref=ref,
                            hint=hint,
                        ),
                    )
                elif order[ref] >= limit:
                    r.report(
                        node,
                        Msg(
                            N_(
                                "%(what)s: shows ${%(ref)s}, which comes later; only earlier answers "
                                "can be shown"
                            ),
                            what=where,
                            ref=ref,
                        ),
                    )
                elif type_of(ref) is ItemType.NOTE:
                    r.report(
                        node,
                        Msg(
                            N_("%(what)s: shows ${%(ref)s}, a note, which has no answer"), what=where, ref=ref
                        ),
                    )


def check_columns(
    r: Reader, node: Node, what: Label, source: str, columns: frozenset[str], key: str, scale: Scale | None
) -> None:
    """Bare names are columns of a choice: only a choice_filter has one, and its scale must have them. A
    calculation may not use ``today()``."""
    if key == "calculation" and re.search(r"\btoday\s*\(", source):
        r.report(
            node,
            Msg(
                N_(
                    "%(what)s: today() in a calculation would store the day of answering, which helps "
                    "identify the respondent (the response keeps only its submission day)"
                ),
                what=what,
            ),
        )
    if not columns:
        return
    if key != "choice_filter":
        name = sorted(columns)[0]
        r.report(
            node,
            Msg(
                N_(
                    "%(what)s: '%(name)s' is neither ${%(name)s} (an answer) nor '%(name)s' (text); "
                    "bare names are only meaningful in a choice_filter"
                ),
                what=what,
                name=name,
            ),
        )
        return
    if scale is None:
        return
    known = {"name"} | {k for o in scale.options for k in o.attributes}
    for name in sorted(columns - known):
        r.report(
            node,
            Msg(
                N_(
                    "%(what)s: the options of scale '%(scale)s' have no column '%(name)s' "
                    "(they have: %(known)s)"
                ),
                what=what,
                scale=scale.id,
                name=name,
                known=", ".join(sorted(known)),
            ),
        )
