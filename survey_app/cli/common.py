"""Helpers shared by the commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

from survey_app.domain.errors import DomainError
from survey_app.extensions import db

T = TypeVar("T")


@contextmanager
def transaction() -> Iterator[None]:
    """Commit at the end; roll back and turn an :class:`DomainError` into a clean CLI error."""
    try:
        yield
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    except Exception:
        db.session.rollback()
        raise


def checked(call: Callable[[], T]) -> T:
    try:
        return call()
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
