"""`flask push keys` (the VAPID key pair, into instance/) and `flask push digest`
(the daily digests: run it once a day from cron, e.g. at 07:00)."""
import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db


@click.group("push")
def push_group():
    """Alerts on volunteers' phones (web push)."""


@push_group.command("keys")
@click.option("--rotate", is_flag=True, help="Replace the key pair (every device must opt in again).")
@with_appcontext
def keys_command(rotate):
    """Make the VAPID key pair if there is none; print the public key."""
    from ..phone import push

    push.ensure_keys(current_app.config, rotate=rotate)
    click.echo(f"VAPID key file: {push.key_file(current_app.config)}")
    click.echo(f"public key: {push.public_key(current_app.config)}")


@push_group.command("digest")
@with_appcontext
def digest_command():
    """Leads: unclaimed over 24 h and idle held tickets; volunteers who chose a digest: new requests."""
    from ..phone import alerts

    sent = alerts.send_digests()
    db.session.commit()
    click.echo(f"lead digests {sent['lead_digest']}, new-request digests {sent['new_requests_digest']}")
