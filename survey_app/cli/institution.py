"""``flask institution import CSV``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.cli.common import transaction
from survey_app.domain.institutions import UNIT_COLUMNS, import_units

institution = AppGroup("institution", help="Institutions and their units.")


@institution.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(csv_file: Path) -> None:
    """Import institutions and units from CSV_FILE (UTF-8, header row).

    \b
    Columns: institution_code, institution_name, unit_code, unit_name, parent_code, population_size
    (parent_code: code of the parent unit in the same institution, empty for a top unit;
    population_size: number of people in the unit, may be empty). Re-importing updates names and sizes.
    """
    with transaction(), csv_file.open(encoding="utf-8-sig", newline="") as handle:
        summary = import_units(handle, str(csv_file))
    click.echo(
        f"{summary.institutions} new institution(s), {summary.units_created} new unit(s), "
        f"{summary.units_updated} unit(s) updated"
    )


__all__ = ["UNIT_COLUMNS", "institution"]
