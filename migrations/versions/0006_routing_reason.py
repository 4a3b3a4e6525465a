"""tickets.routing_reason: why routing left a ticket in triage, or flagged its picked ward

Revision ID: 0006_routing_reason
Revises: 0005_known_values_only
Create Date: 2026-12-03 10:00:00

The values are written out here, not read from RoutingReason (see 0005). SQLite cannot
add a constraint to a table, so batch mode copies `tickets`, with foreign keys off
around the copy as in 0005.
"""
import sqlalchemy as sa
from alembic import op


revision = "0006_routing_reason"
down_revision = "0005_known_values_only"
branch_labels = None
depends_on = None

REASONS = ("no_place", "several_candidates", "out_of_area", "location_far")


def _foreign_keys(on: bool):
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _foreign_keys(False)
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("routing_reason", sa.String(length=24), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_tickets_routing_reason"),
            f"routing_reason IN ({', '.join(repr(reason) for reason in REASONS)})")
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_constraint(op.f("ck_tickets_routing_reason"), type_="check")
        batch_op.drop_column("routing_reason")
    _foreign_keys(True)
