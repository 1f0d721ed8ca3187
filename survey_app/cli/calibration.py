"""``flask calibration upload|show|remove``: known population margins per group of a campaign, as the
console's calibration page keeps them (the same domain functions: validated whole, every problem by row,
stored all or nothing, audit-logged as the system)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.cli.common import checked, transaction
from survey_app.domain.calibration import (
    MarginsRejectedError,
    campaign_margins,
    remove_margins,
    upload_margins,
)
from survey_app.domain.campaigns import find_campaign
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import GROUPS
from survey_app.models.frames import CALIBRATION_METHODS

calibration = AppGroup("calibration", help="Known population margins for calibrating a group's results.")

_group = click.option("--group", required=True, type=click.Choice(list(GROUPS)), help="Respondent group.")


@calibration.command("upload")
@click.option("--campaign", "slug", required=True)
@_group
@click.option("--method", required=True, type=click.Choice(list(CALIBRATION_METHODS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def upload(slug: str, group: str, method: str, path: Path) -> None:
    """Validate and store the margins PATH (CSV variable,level,total; ',' or ';'), replacing the group's
    earlier ones; on any problem, list every one by row and store nothing."""
    campaign = checked(lambda: find_campaign(slug))
    try:
        stored = upload_margins(campaign, group, path.read_bytes(), path.name, method, user=None)
    except MarginsRejectedError as rejected:
        db.session.rollback()
        for problem in rejected.problems:
            click.echo(f"{path.name}: {problem}", err=True)
        raise click.ClickException(
            f"{path.name}: {len(rejected.problems)} problem(s), nothing was stored"
        ) from None
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    rows, variables = len(stored.margins), sorted({m["variable"] for m in stored.margins})
    db.session.commit()
    click.echo(
        f"{rows} margin(s) of {', '.join(variables) or 'the population size'} stored for group {group} of "
        f"{slug} ({method}); the next computation of the results calibrates this group"
    )


def _total(value: float) -> str:
    # Whole counts as written in a margins file (no "1.26e+06"); fractions exactly.
    return str(int(value)) if value.is_integer() else repr(value)


@calibration.command("show")
@click.option("--campaign", "slug", required=True)
@click.option("--group", default=None, type=click.Choice(list(GROUPS)), help="Only this group.")
def show(slug: str, group: str | None) -> None:
    """The stored margins as CSV (group,method,variable,level,total,uploaded_at,uploaded_by); the output
    uploads again as it is."""
    campaign = checked(lambda: find_campaign(slug))
    stored = [m for m in campaign_margins(campaign) if group is None or m.respondent_group == group]
    if not stored:
        click.echo(f"{slug} has no margins{f' for group {group}' if group else ''}", err=True)
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "method", "variable", "level", "total", "uploaded_at", "uploaded_by"])
    for margins in stored:
        for m in margins.margins:
            writer.writerow(
                [
                    margins.respondent_group,
                    margins.method,
                    m["variable"],
                    m["level"],
                    _total(float(m["total"])),
                    margins.uploaded_at.isoformat(timespec="seconds"),
                    margins.uploaded_by,
                ]
            )
    click.echo(out.getvalue(), nl=False)


@calibration.command("remove")
@click.option("--campaign", "slug", required=True)
@_group
def remove(slug: str, group: str) -> None:
    """Stop calibrating the group: the next computation uses the population weights alone."""
    campaign = checked(lambda: find_campaign(slug))
    with transaction():
        remove_margins(campaign, group, user=None)
    click.echo(f"margins of group {group} of {slug} removed")
