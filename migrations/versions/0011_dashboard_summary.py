"""dashboard summary: a histogram of times to claim and to resolve, per day and place

Revision ID: 0011_dashboard_summary
Revises: 0010_phone_app
Create Date: 2026-12-02 08:00:00

The coordinators' dashboard shows medians of the time to claim (hours) and to first
resolve (days) per ward and per team over 90 days (or the dates picked). Computed over
the tickets themselves, that is four sorts of about 230,000 rows at a million tickets
(1.6 s of the dashboard's 2 s on SQLite). `duration_counts` keeps, per local day of
creation, ward, team, category and campaign, how many tickets took each 0.1 hour to be
claimed and each 0.1 day to be first resolved (and the same per month, so that a
window reads its whole months from a thirtieth of the rows); `figures.record_durations`
keeps it in the transaction of each step. Two indexes on status let the dashboard's
counts and "needs attention" read no table row. Filled here from the tickets already stored, with the
same integer arithmetic as `figures.whole_seconds` / `figures.step_of` (whole seconds,
the nearest step, half rounding up) and the local day of Asia/Ho_Chi_Minh (UTC+7, no
daylight saving).
"""
import sqlalchemy as sa
from alembic import op


revision = "0011_dashboard_summary"
down_revision = "0010_phone_app"
branch_labels = None
depends_on = None

STEPS = (("claim", "claimed_at", 360), ("resolve", "first_resolved_at", 8640))
LOCAL_OFFSET_SECONDS = 7 * 3600


def upgrade():
    # The dashboard's "needs attention" counts and lists (new for 48 h, held idle for
    # 3 days, escalated, reopened) read this index only, instead of every open ticket.
    op.create_index("ix_tickets_status_updated", "tickets", ["status", "updated_at", "reopen_count"])
    # Open tickets per ward or team and status, with the oldest, from the index alone
    # (on PostgreSQL the (ward_id, status) index sent each of them to the table).
    op.create_index("ix_tickets_status_place_created", "tickets",
                    ["status", "ward_id", "team_id", "created_at"])
    op.create_table(
        "duration_counts",
        sa.Column("period", sa.String(1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(8), nullable=False),
        sa.Column("ward_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("measure IN ('claim', 'resolve')", name=op.f("ck_duration_counts_measure")),
        sa.CheckConstraint("period IN ('d', 'm')", name=op.f("ck_duration_counts_period")),
        sa.PrimaryKeyConstraint("period", "day", "measure", "ward_id", "team_id", "category_id", "campaign_id",
                                "bucket", name=op.f("pk_duration_counts")),
        sqlite_with_rowid=False,
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite takes an index it has no statistics for as very selective: left so, the
        # two new (status, …) indexes would win over the resolved_at one for "resolved
        # this week" and read every closed ticket. PostgreSQL keeps statistics per column.
        op.execute("ANALYZE tickets")
    for (measure, end, step), period in ((s, p) for s in STEPS for p in ("d", "m")):
        if sqlite:
            day = f"date(created_at, '+{LOCAL_OFFSET_SECONDS} seconds'" \
                  + (", 'start of month')" if period == "m" else ")")
            seconds = (f"max(CAST(strftime('%s', {end}) AS INTEGER)"
                       f" - CAST(strftime('%s', created_at) AS INTEGER), 0)")
        else:
            local = f"created_at + interval '{LOCAL_OFFSET_SECONDS} seconds'"
            day = f"date({local})" if period == "d" else f"date(date_trunc('month', {local}))"
            seconds = (f"greatest(CAST(extract(epoch FROM date_trunc('second', {end}))"
                       f" - extract(epoch FROM date_trunc('second', created_at)) AS BIGINT), 0)")
        op.execute(
            "INSERT INTO duration_counts"
            " (period, day, measure, ward_id, team_id, category_id, campaign_id, bucket, n) "
            f"SELECT '{period}', {day}, '{measure}', coalesce(ward_id, 0), coalesce(team_id, 0), "
            f"category_id, coalesce(campaign_id, 0), ({seconds} + {step // 2}) / {step}, count(*) "
            f"FROM tickets WHERE {end} IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        )


def downgrade():
    op.drop_table("duration_counts")
    op.drop_index("ix_tickets_status_place_created", table_name="tickets")
    op.drop_index("ix_tickets_status_updated", table_name="tickets")
