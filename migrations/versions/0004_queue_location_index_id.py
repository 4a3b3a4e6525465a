"""queue location index carries the id: nearest-first is index-only on PostgreSQL too

Revision ID: 0004_queue_location_index_id
Revises: 0003_coordinator_time_indexes
Create Date: 2026-11-29 19:15:00

PostgreSQL's indexes do not hold the primary key the way SQLite's hold the rowid, so
without `id` in it the "nearest first" queue fetched every open ticket row of the team
(a bitmap heap scan) to learn their ids.
"""
from alembic import op


revision = "0004_queue_location_index_id"
down_revision = "0003_coordinator_time_indexes"
branch_labels = None
depends_on = None

COLUMNS = ["team_id", "status", "lat", "lon", "category_id"]


def upgrade():
    op.drop_index("ix_tickets_team_status_lat_lon", table_name="tickets")
    op.create_index("ix_tickets_team_status_lat_lon", "tickets", COLUMNS + ["id"])


def downgrade():
    op.drop_index("ix_tickets_team_status_lat_lon", table_name="tickets")
    op.create_index("ix_tickets_team_status_lat_lon", "tickets", COLUMNS)
