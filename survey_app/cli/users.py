"""``flask users create``, ``flask users steward``: console accounts (the first admin comes from here) and
the data-steward right (row-level response exports), audit-logged as the command line's."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from survey_app.cli.common import transaction
from survey_app.domain.accounts import audit, create_user, find_user, set_data_steward
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
@click.option("--data-steward", is_flag=True, help="May download row-level responses (admin, analyst).")
def create(
    email: str, role: str, institutions: tuple[str, ...], password_stdin: bool, data_steward: bool
) -> None:
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
        if data_steward:
            set_data_steward(user, True, by=None)
    scope = ", ".join(institutions) if institutions else "all institutions"
    click.echo(f"Created {role} {user.email} ({scope}).")


@users.command("steward")
@click.option("--email", required=True)
@click.option("--revoke", is_flag=True, help="Take the right away instead of giving it.")
def steward(email: str, revoke: bool) -> None:
    """Give an account the data-steward right (row-level response exports), or take it away."""
    with transaction():
        user = find_user(email)
        changed = set_data_steward(user, not revoke, by=None)
    state = "no longer a data steward" if revoke else "a data steward"
    click.echo(f"{user.email} is {state}{'' if changed else ' (unchanged)'}.")
