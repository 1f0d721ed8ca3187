"""Reading YAML while keeping the place of every value, so problems can name their line and column.

PyYAML's composed node graph keeps a ``start_mark`` on every node; plain ``yaml.safe_load`` throws that away.
:class:`Reader` walks the node graph, converts scalars with PyYAML's own ``SafeConstructor`` (so YAML's number
and boolean syntax is the library's, not ours), and records every problem instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from questionnaires.limits import DEFAULT_LIMITS, ReadLimits
from questionnaires.problems import N_, Label, Msg, Problem

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"


#: libyaml's composer keeps the same marks and is several times faster; the web app and the property tests
#: validate often enough for that to matter.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(
    text: str, filename: str, limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[Node | None, list[Problem]]:
    r"""Parse ``text`` into a node graph; a syntax error becomes a problem at its position.

    Aliases are counted: the composed graph shares one node per anchor, but everything that walks it
    (the builder, the canonical JSON) expands them, so "billion laughs" YAML is refused here.

    >>> laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    ...     f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    ... )
    >>> "billion laughs" in compose(laughs, "q.yaml")[1][0].message
    True
    """
    if len(text) > limits.max_file_bytes:
        return None, [
            Problem.of(
                filename,
                0,
                0,
                Msg(
                    N_("the file is larger than %(limits)s MB"),
                    limits=format(limits.max_file_bytes / 1e6, ".0f"),
                ),
            )
        ]
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        return None, [
            Problem.of(filename, line, column, Msg(N_("YAML syntax error: %(reason)s"), reason=reason))
        ]
    except yaml.YAMLError as exc:
        return None, [Problem.of(filename, 1, 1, Msg(N_("YAML syntax error: %(exc)s"), exc=exc))]
    if node is None:
        return None, [Problem.of(filename, 1, 1, Msg(N_("the file is empty")))]
    problem = _alias_problem(node, limits)
    if problem is not None:
        return None, [Problem.of(filename, 1, 1, problem)]
    return node, []


def _alias_problem(root: Node, limits: ReadLimits) -> Msg | None:
    """Why the graph is refused (too many aliases, too large expanded, an alias inside itself), or None."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    shared = 0
    # Iterative post-order walk: a deep document must not hit Python's recursion limit either.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > limits.max_yaml_nodes:
                break
            continue
        if key in sizes:
            shared += 1
            continue
        if key in active:
            return Msg(
                N_("an alias refers to the value that contains it (recursive YAML); write the values out")
            )
        active.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in sizes:
                shared += 1
            elif id(child) in active:
                return Msg(
                    N_("an alias refers to the value that contains it (recursive YAML); write the values out")
                )
            else:
                stack.append((child, False))
    if max(sizes.values(), default=0) > limits.max_yaml_nodes:
        return Msg(
            N_(
                "with its aliases (*name) expanded the YAML would hold more than %(n)s values "
                '(a "billion laughs" file); write the values out'
            ),
            n=f"{limits.max_yaml_nodes:,}",
        )
    if shared > limits.max_yaml_aliases:
        return Msg(
            N_("the YAML uses aliases (*name) %(shared)s times; at most %(max)s are allowed"),
            shared=shared,
            max=limits.max_yaml_aliases,
        )
    return None


def describe(node: Node) -> Msg:
    """How a node looks to a person writing YAML, for 'expected X, got Y' messages."""
    if isinstance(node, MappingNode):
        return Msg(N_("a mapping"))
    if isinstance(node, SequenceNode):
        return Msg(N_("a list"))
    if node.tag == _NULL:
        return Msg(N_("nothing"))
    if node.tag == _BOOL:
        return Msg(N_("the boolean %(value)s"), value=repr(node.value))
    if node.tag in (_INT, _FLOAT):
        return Msg(N_("the number %(value)s"), value=node.value)
    return Msg(N_("the text %(value)s"), value=repr(node.value))


def position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass
class Entry:
    """A key of a mapping with its key node (for 'duplicate key' places) and its value node."""

    key: Node
    value: Node


class Reader:
    """Collects problems while converting nodes; every accessor returns ``None`` after reporting."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self._constructor = yaml.constructor.SafeConstructor()

    def report(self, node: Node | None, message: Label) -> None:
        line, column = position(node) if node is not None else (0, 0)
        self.problems.append(Problem.of(self.filename, line, column, message))

    def report_at(self, line: int, column: int, message: Label) -> None:
        self.problems.append(Problem.of(self.filename, line, column, message))

    def sorted_problems(self) -> list[Problem]:
        # Stable sort by place, so a file's problems read top to bottom; duplicates (same place, same text)
        # can arise when two checks see one mistake and are reported once.
        return sorted(set(self.problems), key=lambda p: (p.line, p.column, p.message))

    # Containers --------------------------------------------------------------------------------------

    def mapping(
        self,
        node: Node,
        what: Label,
        allowed: Collection[str] | None,
        required: Collection[str] = (),
    ) -> dict[str, Entry] | None:
        """The entries of a mapping, after reporting duplicate, unknown and missing keys.

        ``allowed=None`` accepts any key (language codes, group names: the caller checks those).
        """
        if not isinstance(node, MappingNode):
            self.report(
                node, Msg(N_("%(what)s: expected a mapping, got %(got)s"), what=what, got=describe(node))
            )
            return None
        entries: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.report(
                    key_node,
                    Msg(
                        N_("%(what)s: YAML merge keys ('<<') are not supported; write the keys out"),
                        what=what,
                    ),
                )
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag == _NULL:
                self.report(
                    key_node,
                    Msg(N_("%(what)s: a key must be a name, got %(got)s"), what=what, got=describe(key_node)),
                )
                continue
            key = str(key_node.value)
            if key in entries:
                first = position(entries[key].key)[0]
                self.report(
                    key_node,
                    Msg(
                        N_("%(what)s: duplicate key '%(key)s' (first given on line %(first)s)"),
                        what=what,
                        key=key,
                        first=first,
                    ),
                )
                continue
            if allowed is not None and key not in allowed:
                hint = difflib.get_close_matches(key, list(allowed), n=1)
                suggestion = (
                    Msg(N_("; did you mean '%(hint)s'?"), hint=hint[0])
                    if hint
                    else Msg(N_("; expected one of: %(names)s"), names=_listing(allowed))
                )
                self.report(
                    key_node,
                    Msg(
                        N_("%(what)s: unknown key '%(key)s'%(suggestion)s"),
                        what=what,
                        key=key,
                        suggestion=suggestion,
                    ),
                )
                continue
            entries[key] = Entry(key_node, value_node)
        for key in required:
            if key not in entries:
                self.report(node, Msg(N_("%(what)s: missing required key '%(key)s'"), what=what, key=key))
        return entries

    def sequence(self, node: Node, what: Label) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.report(
                node, Msg(N_("%(what)s: expected a list, got %(got)s"), what=what, got=describe(node))
            )
            return None
        return list(node.value)

    # Scalars -----------------------------------------------------------------------------------------

    def text_scalar(self, node: Node, what: Label) -> str | None:
        """Any non-empty scalar as written: text is text, even if YAML would read ``No`` as a boolean."""
        if not isinstance(node, ScalarNode):
            self.report(node, Msg(N_("%(what)s: expected text, got %(got)s"), what=what, got=describe(node)))
            return None
        if node.tag == _NULL or not str(node.value).strip():
            self.report(node, Msg(N_("%(what)s: must not be empty"), what=what))
            return None
        return str(node.value)

    def number(self, node: Node, what: Label) -> float | None:
        if isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT):
            value = float(self._constructor.construct_object(node))
            if math.isfinite(value):
                return value
            self.report(
                node,
                Msg(N_("%(what)s: expected a finite number, got %(value)s"), what=what, value=node.value),
            )
            return None
        self.report(node, Msg(N_("%(what)s: expected a number, got %(got)s"), what=what, got=describe(node)))
        return None

    def integer(self, node: Node, what: Label) -> int | None:
        if isinstance(node, ScalarNode) and node.tag == _INT:
            return int(self._constructor.construct_object(node))
        self.report(
            node, Msg(N_("%(what)s: expected a whole number, got %(got)s"), what=what, got=describe(node))
        )
        return None

    def boolean(self, node: Node, what: Label) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            return bool(self._constructor.construct_object(node))
        self.report(
            node, Msg(N_("%(what)s: expected true or false, got %(got)s"), what=what, got=describe(node))
        )
        return None

    def is_null(self, node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.tag == _NULL


def _listing(names: Collection[str]) -> str:
    return ", ".join(sorted(names))
