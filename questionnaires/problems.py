"""Problems found in a definition file, each with its place, and the exception that carries them.

A problem's text is a :class:`Msg`: a template with named ``%(name)s`` fields and their values. ``str()``
gives the English text (the command line and the tests read it); an application that shows problems in
another language translates the template and then fills the fields (``msg.render(gettext)``). Templates
are marked with :func:`N_` so that the web app's catalog extracts them; this package translates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """``template`` itself, marked for the catalogs."""
    return template


def _same(template: str) -> str:
    return template


class Msg:
    """A message template with named fields; a field may itself be a :class:`Msg` (translated in turn).

    >>> m = Msg(N_("%(what)s: expected a list, got %(got)s"), what="sections", got=Msg(N_("a mapping")))
    >>> str(m)
    'sections: expected a list, got a mapping'
    >>> m.render(lambda t: {"a mapping": "sebuah pemetaan"}.get(t, t))
    'sections: expected a list, got sebuah pemetaan'
    """

    __slots__ = ("params", "template")

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params: tuple[tuple[str, Any], ...] = tuple(params.items())

    def render(self, translate: Callable[[str], str] = _same) -> str:
        template = translate(self.template)
        if not self.params:
            return template
        return template % {k: v.render(translate) if isinstance(v, Msg) else v for k, v in self.params}

    def replaced(self, old: str, new: str) -> Msg:
        """The message with ``old`` replaced by ``new`` in its text fields (a file's temporary path)."""
        out = Msg(self.template)
        out.params = tuple(
            (
                k,
                v.replaced(old, new)
                if isinstance(v, Msg)
                else v.replace(old, new)
                if isinstance(v, str)
                else v,
            )
            for k, v in self.params
        )
        return out

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Msg({self.template!r}, {dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.template, self.params) == (other.template, other.params)

    def __hash__(self) -> int:
        return hash((self.template, self.params))


#: How a problem names a place in a file ("section 's1', item 3"): text, or a message to translate.
Label = str | Msg


def dot(what: Label, key: str) -> Msg:
    """``what.key``: a key of the file, in the file's own words."""
    return Msg("%(what)s.%(key)s", what=what, key=key)


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a file, at a 1-based line and column (``0`` when the place is unknown).

    ``message`` is the English text; ``text`` the same as a :class:`Msg` to translate (``None``: the text is
    shown as it is).
    """

    file: str
    line: int
    column: int
    message: str
    text: Msg | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, file: str, line: int, column: int, message: Label) -> Problem:
        if isinstance(message, Msg):
            return cls(file, line, column, str(message), message)
        return cls(file, line, column, message)

    def render(self, translate: Callable[[str], str] = _same) -> str:
        """The message in the language of ``translate`` (a gettext)."""
        return self.message if self.text is None else self.text.render(translate)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class QuestionnaireInvalid(Exception):  # noqa: N818 - the name is the agreed public API
    """A questionnaire or profile file has problems; ``problems`` lists every one of them.

    >>> err = QuestionnaireInvalid([Problem("q.yaml", 3, 5, "unknown scale 'agree'")])
    >>> str(err)
    "q.yaml:3:5: unknown scale 'agree'"
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
