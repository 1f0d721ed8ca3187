"""``flask config check``: the effective configuration, without secrets.

A configuration with problems never gets here: the app factory refuses it, and ``flask`` prints one line per
problem and exits 1 (:class:`survey_app.config.ConfigError`).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.config import effective


@click.group("config", help="Inspect the configuration.")
def config() -> None:
    pass


@config.command("check", help="Print the effective configuration (secrets only as set / not set).")
@with_appcontext
def check() -> None:
    rows = effective(current_app.config)
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        click.echo(f"{key.ljust(width)}  {value}")
    click.echo("configuration: no problems")
