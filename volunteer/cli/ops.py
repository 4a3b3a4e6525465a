"""Operator commands: `flask backup`, `flask restore`, `flask privacy purge`."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import backup as backups
from .. import retention
from ..extensions import db


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path):
    """Write a consistent backup of the database to PATH (a new file)."""
    try:
        click.echo(backups.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path))
    except backups.BackupError as error:
        raise click.ClickException(str(error))


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path, yes):
    """Replace the whole database with the backup at PATH. Stop the app first."""
    if not yes:
        click.confirm("This replaces every row of the database. Continue?", abort=True)
    # Our own pooled connections must not hold the file (SQLite) or the tables (pg).
    db.session.remove()
    db.engine.dispose()
    try:
        click.echo(backups.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], path))
    except backups.BackupError as error:
        raise click.ClickException(str(error))


@click.group("privacy")
def privacy_group():
    """Personal data retention (Decree 13/2023)."""


@privacy_group.command("purge")
@click.option("--older-than", "older_than", default=None, metavar="AGE",
              help="e.g. 180d or 26w; defaults to RETENTION_DAYS (180 days).")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@with_appcontext
def purge_command(older_than, dry_run):
    """Erase name, phone and exact address of tickets finished before AGE ago; forget
    expired sessions, idempotency keys and announced events."""
    try:
        age = retention.parse_age(
            older_than if older_than is not None else f"{current_app.config['RETENTION_DAYS']}d")
    except retention.BadAge as error:
        raise click.BadParameter(str(error), param_hint="--older-than")
    if dry_run:
        count = retention.count_erasable(age)
        click.echo(f"{count} ticket(s) finished more than {age.days} days ago would be erased.")
        return
    report = retention.purge(age)
    forgotten = retention.forget_bookkeeping()
    db.session.commit()
    click.echo(f"Erased personal data of {report.erased} ticket(s) finished before "
               f"{report.cutoff:%Y-%m-%d %H:%M} UTC.")
    click.echo("Forgotten: " + ", ".join(f"{number} {what}" for what, number in forgotten.items()) + ".")
