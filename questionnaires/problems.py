"""Problems found in a definition file, each with its place, and the exception that carries them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a file, at a 1-based line and column (``0`` when the place is unknown)."""

    file: str
    line: int
    column: int
    message: str

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
