"""Pages of a long list in the console (``?page=``, ``?q=``), through Flask-SQLAlchemy's paginator."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from flask import request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from survey_app.extensions import db


def search_text() -> str:
    return str(request.args.get("q", "")).strip()[:200]


def page_of(query: Select[Any], per_page: int) -> Pagination:
    """The ``?page=`` page of ``query`` (a page past the end is empty, not a 404: a list can shrink)."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    return db.paginate(
        query, page=page, per_page=per_page, max_per_page=per_page, error_out=False, count=True
    )


class ListPage:
    """A page of a list already in memory (the units' tree), with the attributes the page links read."""

    def __init__(self, items: Sequence[Any], per_page: int) -> None:
        self.total = len(items)
        self.per_page = per_page
        self.pages = max(math.ceil(self.total / per_page), 1)
        self.page = min(max(request.args.get("page", 1, type=int) or 1, 1), self.pages)
        start = (self.page - 1) * per_page
        self.items = list(items[start : start + per_page])
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1

    def iter_pages(self, **_: int) -> Iterator[int]:
        return iter(range(1, self.pages + 1))
