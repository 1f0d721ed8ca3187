"""``flask demo setup``: a working demo on a fresh clone (used by ``make run``); safe to run again."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import click
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from questionnaires.bundled import load_bundled_profile, load_bundled_questionnaire
from survey_app.cli.common import transaction
from survey_app.dates import today
from survey_app.extensions import db
from survey_app.models import Campaign
from survey_app.operations import create_campaign, import_units, issue_invitations, store_questionnaire

demo = AppGroup("demo", help="Demonstration data.")

DEMO_SLUG = "demo"
DEMO_UNITS = """institution_code,institution_name,unit_code,unit_name,parent_code,population_size
KOTA-CONTOH,Pemerintah Kota Contoh,SETDA,Sekretariat Daerah,,180
KOTA-CONTOH,Pemerintah Kota Contoh,BAPPEDA,Badan Perencanaan Pembangunan Daerah,SETDA,60
KOTA-CONTOH,Pemerintah Kota Contoh,DINKES,Dinas Kesehatan,SETDA,420
KOTA-CONTOH,Pemerintah Kota Contoh,DISDUKCAPIL,Dinas Kependudukan dan Pencatatan Sipil,SETDA,95
KOTA-CONTOH,Pemerintah Kota Contoh,DPMPTSP,Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu,SETDA,70
"""
#: Which unit each group's demo invitations belong to.
DEMO_UNIT_OF_GROUP = {"internal": "DINKES", "external": "DPMPTSP", "expert": "SETDA"}
QUESTIONNAIRE_OF_GROUP = {"internal": "spi-internal", "external": "spi-external", "expert": "spi-expert"}


@demo.command("setup")
@click.option(
    "--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int, help="Port printed in links."
)
@click.option("--per-group", default=2, show_default=True, type=click.IntRange(1, 50))
def setup(port: int, per_group: int) -> None:
    """Create the database, load the bundled instruments, a demo institution and an open demo campaign, and
    print fresh invitation links (tokens are stored hashed, so every run issues new ones)."""
    upgrade()
    day = today()
    with transaction():
        versions = {}
        for group, ident in QUESTIONNAIRE_OF_GROUP.items():
            versions[group], _ = store_questionnaire(load_bundled_questionnaire(ident), day)
        import_units(io.StringIO(DEMO_UNITS), "demo units")
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
        if campaign is None:
            campaign = create_campaign(
                institution_code="KOTA-CONTOH",
                title="SPI Pemerintah Kota Contoh (demo)",
                slug=DEMO_SLUG,
                period=str(day.year),
                profile=load_bundled_profile("spi-2024"),
                versions=versions,
                opens_on=day - timedelta(days=1),
                closes_on=day + timedelta(days=365),
                allow_invitation=True,
                allow_open=True,
            )
        links = {
            group: issue_invitations(campaign, group, DEMO_UNIT_OF_GROUP[group], per_group)
            for group in QUESTIONNAIRE_OF_GROUP
        }
    root = f"http://127.0.0.1:{port}"
    click.echo(
        f"Demo campaign '{DEMO_SLUG}' of Pemerintah Kota Contoh is open. Invitation links (each works once):"
    )
    for group, tokens in links.items():
        for token in tokens:
            click.echo(f"  {group:<9} {root}/r/{token}")
    click.echo("Open-access link for service users (as behind a QR code at a counter):")
    click.echo(f"  external  {root}/c/{DEMO_SLUG}/external/DPMPTSP")
