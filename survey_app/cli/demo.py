"""``flask demo setup``: a working demo on a fresh clone (used by ``make run``); safe to run again."""

from __future__ import annotations

import io
import os
import secrets
from datetime import date, timedelta

import click
import numpy as np
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from questionnaires.bundled import load_bundled_profile, load_bundled_questionnaire
from questionnaires.model import Questionnaire
from survey_app.cli.common import transaction
from survey_app.dates import today
from survey_app.domain.accounts import audit, create_user, set_password
from survey_app.domain.campaigns import create_campaign
from survey_app.domain.exports import count_responses
from survey_app.domain.institutions import import_units
from survey_app.domain.invitations import issue_invitations
from survey_app.domain.questionnaires import store_questionnaire
from survey_app.domain.results.runs import compute_run
from survey_app.domain.synthetic import add_responses
from survey_app.extensions import db
from survey_app.models import Campaign, ScoreRun, User

demo = AppGroup("demo", help="Demonstration data.")

DEMO_SLUG = "demo"
PREVIOUS_SLUG = "demo-previous"
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
DEMO_ADMIN = "admin@demo.example"
#: Synthetic responses per unit and group, and how favourable each unit's answers are (0–1), so the demo
#: shows different categories, a group below the publication threshold and the heat map's spread.
DEMO_RESPONSES = {
    "SETDA": ({"internal": 40, "external": 0, "expert": 12}, 0.85),
    "BAPPEDA": ({"internal": 32, "external": 0, "expert": 0}, 0.7),  # coached: see _demo_responses
    "DINKES": ({"internal": 45, "external": 40, "expert": 0}, 0.45),
    "DISDUKCAPIL": ({"internal": 35, "external": 38, "expert": 0}, 0.6),
    "DPMPTSP": ({"internal": 30, "external": 45, "expert": 0}, 0.3),
}


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
                organiser="Inspektorat Kota Contoh",
                slug=DEMO_SLUG,
                period=str(day.year),
                profile=load_bundled_profile("spi-2024"),
                versions=versions,
                opens_on=day - timedelta(days=1),
                closes_on=day + timedelta(days=365),
                allow_invitation=True,
                allow_open=True,
                target_index=74.0,
            )
        previous = db.session.scalar(select(Campaign).where(Campaign.slug == PREVIOUS_SLUG))
        if previous is None:
            # Last year's round, closed, so the results page has a trend from the first start.
            previous = create_campaign(
                institution_code="KOTA-CONTOH",
                title=f"SPI Pemerintah Kota Contoh {day.year - 1} (demo)",
                organiser="Inspektorat Kota Contoh",
                slug=PREVIOUS_SLUG,
                period=str(day.year - 1),
                profile=load_bundled_profile("spi-2024"),
                versions=versions,
                opens_on=day - timedelta(days=420),
                closes_on=day - timedelta(days=330),
                status="closed",
                target_index=74.0,
            )
        responses_added = _demo_responses(
            previous, shift=-0.12, submitted_on=day - timedelta(days=340), seed=20230601
        )
        responses_added += _demo_responses(campaign)
        for surveyed in (previous, campaign):
            _demo_results(surveyed)
        password = _demo_admin()
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
    if responses_added:
        click.echo(
            f"Added {responses_added} synthetic responses across the demo units (seeded), in this campaign "
            f"and last year's '{PREVIOUS_SLUG}'; results computed and published."
        )
    click.echo("Administrator console (the password is new on every run of this command):")
    click.echo(f"  {root}/admin/login  e-mail: {DEMO_ADMIN}  password: {password}")


def _demo_admin() -> str:
    """Create the demo admin, or reset its password; returns the new random password."""
    password = secrets.token_urlsafe(12)
    user = db.session.scalar(select(User).where(User.email == DEMO_ADMIN))
    if user is None:
        user = create_user(DEMO_ADMIN, password, "admin")
        audit("user.create", f"user:{user.id}", role="admin", source="demo setup", user=None)
    else:
        set_password(user, password)
        user.active = True
        audit("user.password_reset", f"user:{user.id}", source="demo setup", user=None)
    return password


def _demo_results(campaign: Campaign) -> None:
    """Compute and publish the campaign's results once, so charts and the trend show on first start."""
    if db.session.scalar(select(ScoreRun.id).where(ScoreRun.campaign_id == campaign.id)) is not None:
        return
    run = compute_run(campaign, "demo setup")
    run.published_at = run.created_at
    run.published_by = "demo setup"
    audit("results.compute", f"campaign:{campaign.slug}", run=run.id, source="demo setup", user=None)


def _demo_responses(
    campaign: Campaign, shift: float = 0.0, submitted_on: date | None = None, seed: int = 20240601
) -> int:
    """A few hundred synthetic responses, once (seeded, so every fresh demo shows the same results).

    They answer the versions the campaign uses, which may be older than the bundled files. ``shift`` moves
    every unit's favourability (last year's round was somewhat worse).
    """
    if count_responses(campaign):
        return 0
    db.session.flush()
    rng = np.random.default_rng(seed)
    units = {u.code: u.id for u in campaign.institution.units}
    versions = {link.respondent_group: link.questionnaire_version for link in campaign.questionnaires}
    added = 0
    for code, (counts, tilt) in DEMO_RESPONSES.items():
        for group, count in counts.items():
            if count and group in versions:
                version = versions[group]
                questionnaire = Questionnaire.from_json(version.canonical_json)
                add_responses(
                    campaign,
                    version.id,
                    questionnaire,
                    units[code],
                    count,
                    rng,
                    tilt=min(max(tilt + shift, 0.05), 0.95),
                    submitted_on=submitted_on or today(),
                    coached=0.6 if code == "BAPPEDA" else 0.0,
                )
                added += count
    return added
