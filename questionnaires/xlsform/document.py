"""A questionnaire as a document in the YAML format (what an XLSForm import writes, and reads back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from questionnaires.builder import DEFAULT_MISSING
from questionnaires.model import ItemType, Missing, Questionnaire

#: libyaml's emitter, where PyYAML was built with it: several times faster on a 275-question form.
_BASE: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _BlockDumper(_BASE):  # type: ignore[valid-type,misc]
    """Block style everywhere, multi-line text as literal blocks: a file a methodologist can edit."""

    def ignore_aliases(self, data: Any) -> bool:
        # A text shared by two options is written twice: no anchors for a person to follow, and nothing for
        # the alias budget of the reader (questionnaires.limits) to count.
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def to_yaml(document: Mapping[str, Any]) -> str:
    """Readable YAML: block style, unicode as is, keys in the documented order (the dict's order)."""
    return yaml.dump(
        dict(document),
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=110,
    )


def questionnaire_document(q: Questionnaire) -> dict[str, Any]:
    """A questionnaire as a YAML-format document (explicit options, including the "don't know" ones)."""
    doc: dict[str, Any] = {
        "kind": "questionnaire",
        "id": q.id,
        "version": q.version,
        "group": q.group.value,
        **({"access": [m.value for m in q.access]} if q.access is not None else {}),
        "languages": list(q.languages),
        "title": dict(q.title),
    }
    if q.introduction:
        doc["introduction"] = dict(q.introduction)
    if q.consent:
        doc["consent"] = dict(q.consent)
    labels = {o.missing: o.label for s in q.scales.values() for o in s.options if o.missing is not None}
    missing_codes = {}
    for missing in Missing:
        code = q.special_codes.get(missing.value, DEFAULT_MISSING[missing][0])
        # The default labels are in id and en; a questionnaire in other languages gets the English text.
        label = labels.get(missing) or {
            lang: DEFAULT_MISSING[missing][1].get(lang, DEFAULT_MISSING[missing][1]["en"])
            for lang in q.languages
        }
        missing_codes[missing.value] = {
            "code": code,
            "label": {lang: label[lang] for lang in q.languages if lang in label},
        }
    doc["missing_codes"] = missing_codes
    doc["scales"] = [
        {
            "id": scale.id,
            "kind": scale.kind.value,
            "options": [
                {"code": o.code, "label": dict(o.label)}
                | ({"value": o.value} if o.value is not None else {})
                | ({"missing": o.missing.value} if o.missing is not None else {})
                | ({"attributes": dict(o.attributes)} if o.attributes else {})
                for o in scale.options
            ],
        }
        for scale in q.scales.values()
    ]
    sections = []
    for section in q.sections:
        s: dict[str, Any] = {"id": section.id, "title": dict(section.title)}
        if section.description:
            s["description"] = dict(section.description)
        if section.relevant:
            s["relevant"] = section.relevant
        s["items"] = [_item_document(item) for item in section.items]
        sections.append(s)
    doc["sections"] = sections
    return doc


def _item_document(item: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": item.id, "type": item.type.value}
    if item.scale:
        d["scale"] = item.scale
    if item.label or item.type is not ItemType.CALCULATE:
        d["label"] = dict(item.label)
    if item.hint:
        d["hint"] = dict(item.hint)
    if item.required != (item.type not in (ItemType.NOTE, ItemType.CALCULATE)):
        d["required"] = item.required
    if item.required_message:
        d["required_message"] = dict(item.required_message)
    for key in ("relevant", "constraint", "calculation", "choice_filter"):
        if getattr(item, key):
            d[key] = getattr(item, key)
    if item.constraint_message:
        d["constraint_message"] = dict(item.constraint_message)
    if item.minimum is not None:
        d["min"] = item.minimum
    if item.maximum is not None:
        d["max"] = item.maximum
    if item.scoring is not None:
        d["scoring"] = {
            "dimension": item.scoring.dimension,
            "indicator": item.scoring.indicator,
            "direction": item.scoring.direction.value,
            "weight": item.scoring.weight,
        }
    elif item.type is not ItemType.NOTE:
        d["scoring"] = "none"
    return d


def document_nodes(document: Mapping[str, Any], name: str = "<xlsform>") -> Node:
    """The node graph that composing :func:`to_yaml`'s output would give, built without writing the text.

    Each scalar gets a line of its own and each mapping or list spans the lines of what it holds, so problems
    keep pointing at the part of the document they concern (the import maps those lines back to cells).
    Building the graph directly saves dumping and parsing a 275-question form (about half of its import).
    """
    line = 0

    def mark(at: int) -> Mark:
        return Mark(name, 0, at, 0, None, 0)

    def build(value: Any) -> Node:
        nonlocal line
        start = line
        if isinstance(value, Mapping):
            pairs = [(build(str(k)), build(v)) for k, v in value.items()]
            return MappingNode(_MAP, pairs, mark(start), mark(max(line - 1, start)))
        if isinstance(value, list | tuple):
            items = [build(v) for v in value]
            return SequenceNode(_SEQ, items, mark(start), mark(max(line - 1, start)))
        line += 1
        if isinstance(value, bool):
            tag, text = _BOOL, "true" if value else "false"
        elif isinstance(value, int):
            tag, text = _INT, str(value)
        elif isinstance(value, float):
            tag, text = _FLOAT, repr(value)
        elif value is None:
            tag, text = _NULL, "null"
        else:
            tag, text = _STR, str(value)
        return ScalarNode(tag, text, mark(start), mark(start))

    return build(document)


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
