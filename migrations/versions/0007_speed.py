"""speed: possible duplicates nearby read a partial index of measured positions

Revision ID: 0007_speed
Revises: 0006_routing_reason
Create Date: 2026-12-02 05:30:00

Every ticket geocoded to a street gets that street's one gazetteer point, so "the same
category within 50 m" matched thousands of tickets that are not near each other, and
the coordinator's ticket page sorted them all. Only measured positions (device, map
pin, a client app's coordinates) are compared now, through this index: a band of
latitude within the category, longitude and date read from the index itself.
"""
import sqlalchemy as sa
from alembic import op


revision = "0007_speed"
down_revision = "0006_routing_reason"
branch_labels = None
depends_on = None

MEASURED = sa.text("location_source IN ('device', 'map_pin', 'api')")


def upgrade():
    op.create_index("ix_tickets_measured_position", "tickets",
                    ["category_id", "lat", "lon", "created_at"],
                    sqlite_where=MEASURED, postgresql_where=MEASURED)


def downgrade():
    op.drop_index("ix_tickets_measured_position", table_name="tickets")
