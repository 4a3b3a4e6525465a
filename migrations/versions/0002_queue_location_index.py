"""queue location index: nearest-first ordering reads only an index

Revision ID: 0002_queue_location_index
Revises: 0001
Create Date: 2026-11-29 19:15:00

The volunteer's "nearest first" queue orders a team's open tickets by an
approximate distance; with (team_id, status, lat, lon, category_id) the database computes it
from the index alone instead of fetching every ticket row of the backlog.
"""
from alembic import op


revision = "0002_queue_location_index"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_tickets_team_status_lat_lon", "tickets", ["team_id", "status", "lat", "lon", "category_id"]
    )


def downgrade():
    op.drop_index("ix_tickets_team_status_lat_lon", table_name="tickets")
