"""Flask CLI commands (``flask --app survey_app …``) and the ``integrity-survey`` console script."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    pass


def main() -> None:
    from flask.cli import FlaskGroup

    from survey_app import create_app

    FlaskGroup(create_app=create_app)()
