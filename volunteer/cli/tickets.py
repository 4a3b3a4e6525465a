"""`flask tickets release-stale` and `flask tickets remind-resolved`: run them from cron
(hourly is plenty). `flask tickets rebuild-durations` recounts the medians' histogram."""
import click
from flask.cli import with_appcontext

from ..extensions import db


@click.group("tickets")
def tickets_group():
    """Jobs on tickets."""


@tickets_group.command("release-stale")
@click.option("--days", type=click.IntRange(min=1, max=60), default=7, show_default=True,
              help="Days without activity before a held ticket goes back to the queue.")
@with_appcontext
def release_stale_command(days):
    """Warn holders a day ahead, then return long-idle held tickets to their team's queue."""
    from datetime import timedelta

    from ..stale import release_stale

    report = release_stale(release_after=timedelta(days=days))
    db.session.commit()
    click.echo(f"warned {len(report.warned)} holder(s), released {len(report.released)} ticket(s)")
    for reference in report.released:
        click.echo(f"released {reference}")


@tickets_group.command("remind-resolved")
@with_appcontext
def remind_resolved_command():
    """Ask once more residents who have not said whether their resolved request is done."""
    from ..notifications.residents import remind_unanswered

    reminded = remind_unanswered()
    db.session.commit()
    click.echo(f"reminded {reminded} resident(s)")


@tickets_group.command("rebuild-durations")
@with_appcontext
def rebuild_durations_command():
    """Recount the histogram behind the dashboard's medians from the tickets (after
    tickets were written around the app, e.g. by hand in SQL)."""
    from ..figures import rebuild_durations
    from ..models import DurationCount

    rebuild_durations()
    db.session.commit()
    click.echo(f"{db.session.query(DurationCount).count()} cell(s)")
