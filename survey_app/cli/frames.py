"""``flask frames upload|counts|plan|draw``: population lists, the sample plan and the recorded draw.

Contacts never leave the database through these commands: they print counts, sizes and the draw's record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from scoring.frames import ColumnMapping
from survey_app.cli.common import checked, transaction
from survey_app.domain.campaigns import find_campaign
from survey_app.domain.frames import (
    ALLOCATIONS,
    FrameCount,
    draw_campaign,
    frame_counts,
    sample_plan,
    upload_frame,
)

frames = AppGroup("frames", help="Population lists (frames), the sample plan and the draw.")


def _print_counts(counts: list[FrameCount]) -> None:
    click.echo("unit,group,population,drawn,contacts_deleted")
    for c in counts:
        click.echo(f"{c.unit},{c.group},{c.size},{c.drawn},{str(c.contacts_deleted).lower()}")


@frames.command("upload")
@click.option("--campaign", "slug", required=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit-column", required=True, help="Column holding the unit code.")
@click.option("--group-column", default=None, help="Column holding the respondent group.")
@click.option(
    "--group", default=None, type=click.Choice(["internal", "external", "expert"]), help="Group of every row."
)
@click.option("--email-column", default=None)
@click.option("--phone-column", default=None)
@click.option("--aux", "auxiliary", multiple=True, help="Auxiliary column kept for calibration (repeat).")
@click.option("--sheet", default=None, help="XLSX sheet (default: the first).")
def upload(
    slug: str,
    path: Path,
    unit_column: str,
    group_column: str | None,
    group: str | None,
    email_column: str | None,
    phone_column: str | None,
    auxiliary: tuple[str, ...],
    sheet: str | None,
) -> None:
    """Validate and store the population list PATH (CSV or XLSX), all or nothing; print the counts."""
    if email_column is None and phone_column is None:
        raise click.UsageError("map at least one of --email-column and --phone-column")
    mapping = ColumnMapping(
        unit=unit_column, group=group_column, email=email_column, phone=phone_column, auxiliary=auxiliary
    )
    campaign = checked(lambda: find_campaign(slug))
    with transaction():
        counts = upload_frame(
            campaign, path.read_bytes(), path.name, mapping, group=group, user=None, sheet=sheet
        )
    _print_counts(counts)


@frames.command("counts")
@click.option("--campaign", "slug", required=True)
def counts(slug: str) -> None:
    """Population and drawn contacts per unit and group (never a contact)."""
    campaign = checked(lambda: find_campaign(slug))
    _print_counts(frame_counts(campaign))


_plan_options = [
    click.option("--moe", default=0.05, show_default=True, type=click.FloatRange(0.001, 0.5)),
    click.option("--confidence", default=0.95, show_default=True, type=click.FloatRange(0.5, 0.999)),
    click.option("--response-rate", default=1.0, show_default=True, type=click.FloatRange(0.01, 1.0)),
    click.option("--minimum", default=0, show_default=True, type=click.IntRange(min=0)),
    click.option(
        "--allocation",
        default="per_unit",
        show_default=True,
        type=click.Choice(list(ALLOCATIONS)),
        help="per_unit: each unit and group meets the target; else a group's sample shared over its units.",
    ),
    click.option("--census-below", default=0, show_default=True, type=click.IntRange(min=0)),
]


def plan_options(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_plan_options):
        f = option(f)
    return f


@frames.command("plan")
@click.option("--campaign", "slug", required=True)
@plan_options
def plan(slug: str, **settings: Any) -> None:
    """The sample size per unit and group with its expected margin of error (nothing is drawn)."""
    campaign = checked(lambda: find_campaign(slug))
    table = checked(lambda: sample_plan(campaign, **settings))
    click.echo(table.to_csv(index=False, float_format="%.4f"), nl=False)


@frames.command("draw")
@click.option("--campaign", "slug", required=True)
@click.option("--seed", required=True, type=click.IntRange(min=0, max=2**63 - 1))
@click.option("--method", default="srs", show_default=True, type=click.Choice(["srs", "systematic"]))
@plan_options
def draw(slug: str, seed: int, method: str, **settings: Any) -> None:
    """Draw the planned sample (seeded, recorded, once per campaign) and issue its invitations."""
    campaign = checked(lambda: find_campaign(slug))
    with transaction():
        table = sample_plan(campaign, **settings)
        record = draw_campaign(
            campaign,
            table,
            seed=seed,
            user=None,
            method=method,  # type: ignore[arg-type]
            settings={**settings, "p": 0.5},
        )
    sizes = record.record["sizes"]
    click.echo(
        f"drawn with seed {record.seed}, frame hash {record.frame_hash}: "
        f"{sum(int(s['n_h']) for s in sizes)} invitation(s) issued in {len(sizes)} stratum/strata"
    )


@frames.command("send")
@click.option("--campaign", "slug", required=True)
@click.option("--reminders", is_flag=True, help="Remind the invited people who have not finished.")
def send(slug: str, reminders: bool) -> None:
    """Queue the sending of the drawn people's invitations (or reminders) by e-mail and WhatsApp/SMS."""
    from flask import current_app

    from survey_app.queue import submit
    from survey_app.worker import channels_configured, send_invitations_task, send_reminders_task

    if not channels_configured(current_app.config):
        raise click.ClickException(
            "SMTP_HOST is not set and SMS_GATEWAY_URL is not set: the system sends no e-mail, WhatsApp or "
            "SMS message (see flask config check)"
        )
    campaign = checked(lambda: find_campaign(slug))
    submit(send_reminders_task if reminders else send_invitations_task, campaign.id)
    click.echo(f"{'reminders' if reminders else 'invitations'} of {slug} queued for sending")
