"""`flask worker`: deliver the outbox (notifications/worker.py). Run one per server
beside the web processes, as a service; `--once` delivers what is due and exits."""
import click
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--poll", type=click.FloatRange(min=0.05, max=60), default=None,
              help="Seconds between looks at an empty outbox (OUTBOX_POLL_SECONDS, 0.5).")
@with_appcontext
def worker_command(once, poll):
    """Deliver queued messages (SMS, Zalo, e-mail, push) with retries."""
    from flask import current_app

    from ..notifications import unconfigured, worker
    from ..notifications.channels import CHANNELS

    config = current_app.config
    missing = sorted(name for name, channel in CHANNELS.items()
                     if not unconfigured.is_configured(channel, config))
    if missing:
        # Say at start where those messages go, so nobody wonders why no SMS arrives.
        where = (f"written to {config['NOTIFY_LOCAL_DIR']}"
                 if config["NOTIFY_UNCONFIGURED"] == unconfigured.LOCAL
                 else "held until a provider is configured")
        click.echo(f"no provider for {', '.join(missing)}: their messages are {where}", err=True)
    tally = worker.drain() if once else worker.run_forever(poll)
    click.echo(f"sent {tally.sent}, to retry {tally.retried}, failed {tally.failed}, "
               f"dead {tally.dead}" + (f", held {tally.held}" if tally.held else ""))
