"""`flask users create|deactivate`: setting up staff accounts from the shell."""
import click
from flask.cli import with_appcontext

from .. import accounts
from ..extensions import db
from ..vocabulary import Role


def _fail(error: accounts.AccountError):
    db.session.rollback()
    raise click.ClickException(str(error.message))


@click.group("users")
def users_group():
    """Create and deactivate staff accounts."""


@users_group.command("create")
@click.option("--name", required=True, help="Full name, as the team knows them.")
@click.option("--phone", help="Phone number they sign in with (any Vietnamese form).")
@click.option("--email", help="E-mail they may sign in with instead.")
@click.option("--role", type=click.Choice([role.value for role in Role]), default=Role.VOLUNTEER.value, show_default=True)
@click.option("--team", "ward_code", help="Ward code (e.g. 19333) whose team they join; "
              "required for volunteers and leads.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
def create_user(name, phone, email, role, ward_code, password):
    """Create a staff account."""
    try:
        team = accounts.team_for_ward_code(ward_code) if ward_code else None
        user = accounts.create_user(actor_id=None, name=name, phone=phone, email=email, role=role,
                                    password=password, team_id=team.id if team else None)
    except accounts.AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created {user.role} {user.name} ({user.phone or user.email})"
               + (f" in {team.name}" if team else ""))


@users_group.command("deactivate")
@click.argument("login")
@with_appcontext
def deactivate_user(login):
    """Stop LOGIN (phone or e-mail) signing in; their sessions end at once."""
    try:
        user = accounts.deactivate(None, login)
    except accounts.AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"deactivated {user.name} ({user.phone or user.email})")
