"""Pages of a long list in the console (``?page=``, ``?q=``), through Flask-SQLAlchemy's paginator."""

from __future__ import annotations

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
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False, count=True)
