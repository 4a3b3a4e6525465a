"""The command line: `flask seed` and friends."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .geo import geography
from . import geo
from .extensions import db
from .seeding import seed_city


@click.command("seed")
@click.option("--wards", "wards_file", type=click.Path(exists=True, dir_okay=False),
              help="A city data file (GeoJSON); defaults to CITY_FILE (Đông Hà).")
@click.option("--demo", is_flag=True,
              help="Also add demo staff (printed at the end) and a few dozen realistic tickets.")
@click.option("--tickets", "ticket_count", type=click.IntRange(min=1, max=5_000_000),
              help="With --demo: add this many tickets for benchmarks instead.")
@with_appcontext
def seed_command(wards_file, demo, ticket_count):
    """Load the city's wards, teams and categories (safe to run again)."""
    if ticket_count and not demo:
        raise click.UsageError("--tickets goes with --demo")
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
    if demo:
        from .demo_cli import seed_demo

        seed_demo(ticket_count)


def register(app) -> None:
    app.cli.add_command(seed_command)
    from .users_cli import users_group
    app.cli.add_command(users_group)
    from .ops_commands import backup_command, privacy_group, restore_command
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(privacy_group)
    from .blueprints.open311.commands import apikeys_cli
    app.cli.add_command(apikeys_cli)
    from .stale_cli import tickets_group
    app.cli.add_command(tickets_group)
