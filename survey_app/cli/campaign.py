"""``flask campaign create``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from questionnaires import QuestionnaireInvalid, load_profile
from questionnaires.bundled import load_bundled_profile
from questionnaires.profile import ScoringProfile
from survey_app.cli.common import checked, transaction
from survey_app.domain.campaigns import create_campaign
from survey_app.domain.questionnaires import find_version

campaign = AppGroup("campaign", help="Survey campaigns.")


def _profile(reference: str) -> ScoringProfile:
    try:
        if reference.endswith((".yaml", ".yml")) or Path(reference).is_file():
            return load_profile(reference)
        return load_bundled_profile(reference)
    except (KeyError, QuestionnaireInvalid, OSError) as exc:
        raise click.BadParameter(str(exc).strip("'\""), param_hint="--profile") from None


@campaign.command("create")
@click.option(
    "--institution", "institution_code", required=True, help="Institution code (see institution import)."
)
@click.option("--title", required=True)
@click.option("--organiser", default="", help="Who runs the survey, named on every respondent page.")
@click.option("--slug", required=True, help="Short name used in open-access links, e.g. kota-2025.")
@click.option("--period", default=None, help="Period surveyed (default: year of --opens).")
@click.option(
    "--profile", "profile_ref", default="spi-2024", show_default=True, help="Bundled id or YAML file."
)
@click.option(
    "--questionnaire",
    "questionnaires",
    multiple=True,
    required=True,
    metavar="GROUP=REF",
    help="Questionnaire per group, e.g. internal=spi-internal (REF: id, id@version or sha256:… hash).",
)
@click.option("--opens", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--closes", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@click.option("--min-cell", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--target", type=click.FloatRange(0, 100), default=None, help="Target index (0–100).")
@click.option(
    "--access",
    multiple=True,
    type=click.Choice(["invitation", "open"]),
    default=("invitation",),
    show_default=True,
    help="Access modes; repeat for both.",
)
@click.option("--status", type=click.Choice(["draft", "open"]), default="open", show_default=True)
def create(
    institution_code: str,
    title: str,
    organiser: str,
    slug: str,
    period: str | None,
    profile_ref: str,
    questionnaires: tuple[str, ...],
    opens: datetime,
    closes: datetime,
    min_cell: int,
    target: float | None,
    access: tuple[str, ...],
    status: str,
) -> None:
    """Create a campaign with a questionnaire version per respondent group."""
    profile = _profile(profile_ref)
    versions = {}
    for spec in questionnaires:
        group, sep, reference = spec.partition("=")
        if not sep or not group or not reference:
            raise click.BadParameter(f"expected GROUP=REF, got {spec!r}", param_hint="--questionnaire")
        if group in versions:
            raise click.BadParameter(f"group {group!r} given twice", param_hint="--questionnaire")
        versions[group] = checked(lambda reference=reference: find_version(reference))  # type: ignore[misc]
    with transaction():
        created = create_campaign(
            institution_code=institution_code,
            title=title,
            organiser=organiser.strip(),
            slug=slug,
            period=period or str(opens.year),
            profile=profile,
            versions=versions,
            opens_on=opens.date(),
            closes_on=closes.date(),
            min_cell=min_cell,
            target_index=target,
            allow_invitation="invitation" in access,
            allow_open="open" in access,
            status=status,
        )
    groups = ", ".join(sorted(versions))
    click.echo(f"campaign {created.slug} created ({groups}; {created.opens_on}–{created.closes_on})")
