"""The demo part of `flask seed --demo [--tickets N]`: data, progress, and the logins."""
import click

from tools import demo
from volunteer.extensions import db

ROLE_NAMES = {"coordinator": "coordinator", "lead": "team lead", "volunteer": "volunteer"}


def seed_demo(ticket_count: int | None) -> None:
    logins = demo.ensure_demo_users()
    db.session.commit()
    if ticket_count:
        with click.progressbar(length=ticket_count, label=f"adding {ticket_count} tickets") as bar:
            demo.bulk_tickets(ticket_count, progress=bar.update)
        click.echo("writing their history…")
        db.session.commit()
        _analyze()
        click.echo(f"added {ticket_count} tickets ({demo.ticket_count()} in all)")
    else:
        made = demo.add_demo_tickets()
        db.session.commit()
        click.echo(f"added {made} demo tickets" if made else "demo tickets already there")
    click.echo("")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in logins:
        team = f"  {login.team}" if login.team else ""
        click.echo(f"  {login.phone}  {ROLE_NAMES.get(login.role, login.role):<11} {login.name}{team}")


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, so the queue's indexes are used."""
    from sqlalchemy import text

    db.session.execute(text("ANALYZE"))
    db.session.commit()
