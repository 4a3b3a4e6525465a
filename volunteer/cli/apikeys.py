"""`flask apikeys create|list|revoke`: Open311 keys for the operations centre and
other civic systems."""
import click
from flask.cli import with_appcontext

from .. import api_keys
from ..extensions import db


@click.group("apikeys")
def apikeys_group():
    """Open311 API keys (only a hash is stored; a key is shown once)."""


@apikeys_group.command("create")
@click.option("--org", "organisation", required=True, help="The organisation the key is for.")
@click.option("--consent-attested", is_flag=True,
              help="The organisation attests that the residents whose requests it files have "
                   "consented to sharing their name, phone and address for this help.")
@with_appcontext
def create_command(organisation, consent_attested):
    """Issue a key and print it once."""
    if not organisation.strip():
        raise click.UsageError("--org must name the organisation.")
    if not consent_attested:
        consent_attested = click.confirm(
            f"Does {organisation} attest that every resident whose request it files has consented "
            "to their name, phone number and address being used to contact and help them?",
            default=False,
        )
    if not consent_attested:
        raise click.ClickException("No key issued: a key needs the organisation's consent attestation.")
    key, plain = api_keys.issue(organisation, consent_attested=True)
    db.session.commit()
    click.echo(f"API key {key.id} for {key.organisation} (prefix {key.key_prefix}):")
    click.echo(plain)
    click.echo("Store it now: it is not kept and cannot be shown again.")


@apikeys_group.command("list")
@with_appcontext
def list_command():
    """List keys: id, prefix, organisation, dates. Never the key."""
    keys = api_keys.all_keys()
    if not keys:
        click.echo("No API keys.")
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.key_prefix}…\t{key.organisation}\t"
                   f"created {key.created_at:%Y-%m-%d %H:%M}\t{state}")


@apikeys_group.command("revoke")
@click.argument("identifier")
@with_appcontext
def revoke_command(identifier):
    """Revoke a key by its id or its displayed prefix."""
    found = api_keys.find(identifier)
    if not found:
        raise click.ClickException(f"No API key matches {identifier!r}.")
    if len(found) > 1:
        raise click.ClickException(f"{len(found)} keys match {identifier!r}; revoke by id.")
    key = found[0]
    if api_keys.revoke(key):
        db.session.commit()
        click.echo(f"Revoked key {key.id} ({key.key_prefix}…) of {key.organisation}.")
    else:
        click.echo(f"Key {key.id} of {key.organisation} was already revoked.")
