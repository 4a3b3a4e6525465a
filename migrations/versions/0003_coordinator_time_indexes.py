"""coordinator time indexes: "resolved in the last days" and date windows read an index

Revision ID: 0003_coordinator_time_indexes
Revises: 0002_queue_location_index
Create Date: 2026-11-29 19:05:00

The coordinators' map and dashboard count tickets resolved this week (per ward, team
and category), draw the recently resolved ones, chart requests per week, and compute
medians over a window of creation dates. Without these indexes each of those reads
every closed ticket of the city's history (a full scan at 1,000,000 tickets); with
them, only the window, and from the index alone (the columns the figures need ride
along, so no table row is fetched).
"""
from alembic import op


revision = "0003_coordinator_time_indexes"
down_revision = "0002_queue_location_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_tickets_created_figures", "tickets",
                    ["created_at", "ward_id", "team_id", "category_id", "claimed_at", "first_resolved_at"])
    op.create_index("ix_tickets_resolved_figures", "tickets",
                    ["resolved_at", "status", "ward_id", "team_id", "category_id"])


def downgrade():
    op.drop_index("ix_tickets_resolved_figures", table_name="tickets")
    op.drop_index("ix_tickets_created_figures", table_name="tickets")
