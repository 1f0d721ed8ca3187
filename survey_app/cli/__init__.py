"""Flask CLI commands (``flask --app survey_app …``) and the ``integrity-survey`` console script.

Every command reports bad input with a clear message and a non-zero exit (``click.ClickException``) and
commits once at the end, so a failure halfway leaves the database as it was.
"""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from survey_app.cli.calibration import calibration
    from survey_app.cli.campaign import campaign
    from survey_app.cli.config import config
    from survey_app.cli.demo import demo
    from survey_app.cli.drafts import drafts
    from survey_app.cli.frames import frames
    from survey_app.cli.institution import institution
    from survey_app.cli.invitations import invitations
    from survey_app.cli.questionnaire import questionnaire
    from survey_app.cli.responses import responses
    from survey_app.cli.users import users
    from survey_app.cli.worker import worker

    for group in (
        questionnaire,
        institution,
        campaign,
        invitations,
        frames,
        calibration,
        responses,
        drafts,
        demo,
        users,
        config,
        worker,
    ):
        app.cli.add_command(group)


def main() -> None:
    from flask.cli import FlaskGroup

    from survey_app import create_app

    FlaskGroup(create_app=create_app)()
