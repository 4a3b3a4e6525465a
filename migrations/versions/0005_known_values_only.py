"""the database refuses a status, role, channel, location source or visit outcome it does not know

Revision ID: 0005_known_values_only
Revises: 0004_queue_location_index_id
Create Date: 2026-12-02 10:00:00

The values are written out here, not read from the enums: a migration describes the
schema as it was on the day it was written, whatever the code says later. A new
member of an enum needs a new migration that drops and recreates its constraint.

SQLite cannot add a constraint to a table, so batch mode copies each table into a new
one. Foreign keys are switched off around the copy: with them on, dropping the old
`tickets` or `users` would delete (ON DELETE CASCADE) or refuse (the rest) every row
that refers to it.
"""
from alembic import op


revision = "0005_known_values_only"
down_revision = "0004_queue_location_index_id"
branch_labels = None
depends_on = None

STATUSES = ("new", "claimed", "in_progress", "resolved", "closed", "escalated", "unreachable",
            "cancelled")
CONSTRAINTS = {
    "users": {"role": ("volunteer", "lead", "coordinator", "admin")},
    "tickets": {
        "status": STATUSES,
        "channel": ("web", "qr_point", "phone", "door_to_door", "api"),
        "location_source": ("device", "map_pin", "geocoded", "ward_centre", "api"),
    },
    "ticket_events": {"from_status": STATUSES, "to_status": STATUSES},
    "visits": {"outcome": ("helped", "not_home", "declined", "already_done", "needs_follow_up",
                           "moved", "language_barrier")},
}


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _foreign_keys(on: bool):
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _foreign_keys(False)
    for table, columns in CONSTRAINTS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"),
                                                 _one_of(column, values))
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    for table, columns in CONSTRAINTS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
    _foreign_keys(True)
