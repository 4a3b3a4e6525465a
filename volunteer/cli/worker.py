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
    from ..notifications import worker

    tally = worker.drain() if once else worker.run_forever(poll)
    click.echo(f"sent {tally.sent}, to retry {tally.retried}, failed {tally.failed}, "
               f"dead {tally.dead}")
