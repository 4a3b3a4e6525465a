"""`flask seed [--wards FILE] [--demo [--tickets N]]`: load a city, and demo data."""
import click
from flask import current_app
from flask.cli import with_appcontext

from ..geo import geography
from .. import geo
from ..extensions import db
from ..seeding import seed_city


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
        # The demo loader is a tool beside the app, not runtime code.
        from tools.demo_cli import seed_demo

        seed_demo(ticket_count)
