"""``/``: respondents arrive by their own links, so the site root leads to the console (its login)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("admin_campaigns.dashboard"))
