"""``flask users create``: console accounts (the first admin comes from here)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from survey_app.cli.common import transaction
from survey_app.domain.accounts import audit, create_user
from survey_app.domain.errors import DomainError
from survey_app.models import ROLES

users = AppGroup("users", help="Console accounts.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--institution",
    "institutions",
    multiple=True,
    help="Institution code in scope (repeatable); an admin without one sees every institution.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def create(email: str, role: str, institutions: tuple[str, ...], password_stdin: bool) -> None:
    """Create an account; the password is prompted for (twice) unless --password-stdin is given."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with transaction():
        try:
            user = create_user(email, password, role, list(institutions))
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        audit("user.create", f"user:{user.id}", user=None, role=role, institutions=list(institutions))
    scope = ", ".join(institutions) if institutions else "all institutions"
    click.echo(f"Created {role} {user.email} ({scope}).")
