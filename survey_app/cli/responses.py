"""``flask responses export``: one row per response, one column per item (scoring's input)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import click
from flask import g
from flask.cli import AppGroup

from survey_app.cli.common import checked, transaction
from survey_app.database import WRITER_THREAD
from survey_app.dates import today
from survey_app.domain.accounts import audit, campaign_for, find_user
from survey_app.domain.campaigns import find_campaign
from survey_app.domain.exports import export_tables, released_before, union_rows
from survey_app.domain.files import escape_formula
from survey_app.domain.release import release_all_due
from survey_app.extensions import db

responses = AppGroup("responses", help="Collected responses.")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return 1 if value else 0  # as the console's CSV: every tool reads 0/1 as numbers
    if isinstance(value, str):
        # Spreadsheets run cells that start with = + - @ tab or CR (OWASP "CSV Injection").
        return escape_formula(value)
    return value


@responses.command("export")
@click.option("--campaign", "slug", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--group", type=click.Choice(["internal", "external", "expert"]), default=None, help="Only this group."
)
@click.option(
    "--steward",
    "steward_email",
    required=True,
    metavar="EMAIL",
    help="The data steward the export is for: an account with the right, the campaign in its scope.",
)
@click.option("--include-free-text", is_flag=True, help="Include text answers (they can identify people).")
@click.option("--labels", is_flag=True, help="Write option labels instead of codes.")
@click.option(
    "--language", type=click.Choice(["id", "en"]), default="id", show_default=True, help="Of the labels."
)
def export(
    slug: str,
    output: Path,
    group: str | None,
    steward_email: str,
    include_free_text: bool,
    labels: bool,
    language: str,
) -> None:
    """Write the responses of a campaign to OUTPUT (CSV, UTF-8), ordered by their random id.

    The console's rules apply, for the data steward named by --steward (docs/exports.md): before the campaign
    closes only responses submitted before today; small units shown as their parent or 'other'; free text
    only with --include-free-text. The export is written to the audit log under the steward's name.

    Columns: response_id, campaign, group, unit, stratum, weight, open_access, questionnaire_hash,
    submitted_on, duration_seconds, then one column per item id (the union over the campaign's
    questionnaires, in order); select_multiple answers are space-separated codes, as ODK writes them.
    """
    campaign = checked(lambda: find_campaign(slug))
    steward = checked(lambda: find_user(steward_email))
    checked(lambda: campaign_for(steward, slug))
    day = today()
    tables = [
        t
        for t in checked(
            lambda: export_tables(
                steward,
                campaign,
                day,
                include_free_text=include_free_text,
                labels=language if labels else None,
            )
        )
        if group is None or t.questionnaire.group == group
    ]
    header, rows = union_rows(tables)
    total = sum(len(t.rows) for t in tables)
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        with click.progressbar(length=total, label="Exporting responses") as bar:
            for row in rows:
                writer.writerow([_cell(value) for value in row])
                bar.update(1)
    audit(
        "export.responses",
        f"campaign:{campaign.slug}",
        group=group or "all",
        format="csv",
        rows=total,
        free_text=include_free_text,
        source="cli",
        user=steward,
    )
    db.session.commit()
    cutoff = released_before(campaign, day)
    until = f" (submitted before {cutoff.isoformat()}: the campaign is not closed)" if cutoff else ""
    click.echo(f"{total} response(s) written to {output}{until}")


@responses.command("release")
@click.option("--all", "everything", is_flag=True, help="Release every held response, however few.")
def release_held(everything: bool) -> None:
    """Release held responses into the results: full batches, and everything of closed campaigns.

    Run it at least once a day with --all (cron or a systemd timer), so no response waits longer than a day;
    see docs/anonymity.md.
    """
    # The release reads and then writes: on SQLite it takes the write lock at BEGIN.
    setattr(g, WRITER_THREAD, True)
    with transaction():
        released = release_all_due(today(), everything=everything)
    for item in released:
        click.echo(f"{item.campaign}: {item.responses} response(s) released")
    click.echo(f"{sum(r.responses for r in released)} response(s) released")
