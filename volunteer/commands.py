"""The command line: `flask seed` and friends."""
import click
from flask import current_app
from flask.cli import with_appcontext

from . import geo, geography
from .extensions import db
from .seeding import seed_city


@click.command("seed")
@click.option("--wards", "wards_file", type=click.Path(exists=True, dir_okay=False),
              help="A city data file (GeoJSON); defaults to CITY_FILE (Đông Hà).")
@with_appcontext
def seed_command(wards_file):
    """Load the city's wards, teams and categories (safe to run again)."""
    city = geo.load_city(wards_file or current_app.config["CITY_FILE"])
    report = seed_city(city)
    db.session.commit()
    geography.forget()
    if not report.changed:
        click.echo("Nothing to change: the city is already seeded.")
    for kind, count in sorted(report.created.items()):
        click.echo(f"created {count} {kind}(s)")
    for kind, count in sorted(report.updated.items()):
        click.echo(f"updated {count} {kind}(s)")


def register(app) -> None:
    app.cli.add_command(seed_command)
    from .ops_commands import backup_command, privacy_group, restore_command
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(privacy_group)
    from .blueprints.open311.commands import apikeys_cli
    app.cli.add_command(apikeys_cli)
