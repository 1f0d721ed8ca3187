"""``flask invitations issue``: plain tokens exist only in the CSV (and QR images) written here."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.cli.common import checked, transaction
from survey_app.domain.campaigns import find_campaign
from survey_app.domain.invitations import issue_invitations
from survey_app.links import invitation_link, public_root

invitations = AppGroup("invitations", help="Invitation links (tokens) for a campaign.")

LINK_COLUMNS = ("n", "campaign", "group", "unit", "stratum", "weight", "link")


@invitations.command("issue")
@click.option("--campaign", "slug", required=True)
@click.option("--group", required=True, type=click.Choice(["internal", "external", "expert"]))
@click.option("--unit", "unit_code", required=True, help="Unit code in the campaign's institution.")
@click.option("--count", required=True, type=click.IntRange(min=1, max=100_000))
@click.option("--stratum", default=None)
@click.option("--weight", default=1.0, show_default=True, type=float, help="Sampling weight (> 0).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--qr-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Write QR PNGs here."
)
@click.option(
    "--base-url", default=None, help="Public address of the app (default PUBLIC_BASE_URL or 127.0.0.1)."
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def issue(
    slug: str,
    group: str,
    unit_code: str,
    count: int,
    stratum: str | None,
    weight: float,
    output: Path,
    qr_dir: Path | None,
    base_url: str | None,
    force: bool,
) -> None:
    """Issue COUNT invitations and write their links to OUTPUT (CSV); keep that file safe."""
    if output.exists() and not force:
        raise click.ClickException(
            f"{output} exists; it may hold the only copy of earlier tokens (use --force)"
        )
    if not weight > 0:
        raise click.BadParameter(f"must be greater than 0, got {weight}", param_hint="--weight")
    root = base_url or public_root("http://127.0.0.1:5000")
    campaign = checked(lambda: find_campaign(slug))
    with transaction():
        with click.progressbar(range(count), label="Issuing invitations") as bar:
            tokens = issue_invitations(
                campaign, group, unit_code, count, stratum=stratum, weight=weight, progress=bar
            )
        links = [invitation_link(root, token) for token in tokens]
        # Written before the commit: if the file cannot be written, no invitation exists without its link.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(LINK_COLUMNS)
            for n, link in enumerate(links, start=1):
                writer.writerow([n, slug, group, unit_code, stratum or "", weight, link])
        if qr_dir is not None:
            from survey_app.reporting.qrsheet import qr_png

            qr_dir.mkdir(parents=True, exist_ok=True)
            with click.progressbar(list(enumerate(links, start=1)), label="Writing QR codes") as items:
                for n, link in items:
                    (qr_dir / f"{slug}-{group}-{unit_code}-{n:05d}.png").write_bytes(qr_png(link))
    click.echo(
        f"{count} invitation(s) issued; links in {output}" + (f", QR codes in {qr_dir}" if qr_dir else "")
    )
