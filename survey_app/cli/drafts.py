"""``flask drafts purge``: delete drafts of closed campaigns and abandoned open-access drafts."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from survey_app.cli.common import transaction
from survey_app.dates import today
from survey_app.models.types import utcnow
from survey_app.respondent.retention import purge_drafts

drafts = AppGroup("drafts", help="Answers in progress.")


@drafts.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Open-access drafts untouched for this many days are deleted.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge(days: int, dry_run: bool) -> None:
    """Delete drafts of closed campaigns and open-access drafts untouched for --older-than days.

    Invitation drafts of running campaigns are kept: their link still resumes them. Run it daily (cron or a
    systemd timer, see docs/deployment.md).
    """
    with transaction():
        counts = purge_drafts(utcnow(), today(), timedelta(days=days), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {counts.closed_campaigns} draft(s) of closed campaigns and "
        f"{counts.abandoned_open_access} open-access draft(s) untouched for {days} day(s)"
    )
