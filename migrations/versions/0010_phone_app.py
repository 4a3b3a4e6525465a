"""phone app: processed idempotency keys, push subscriptions, alert preferences

Revision ID: 0010_phone_app
Revises: 0009_outbox
Create Date: 2026-12-02 12:00:00

Actions recorded on a phone without a signal are sent later, perhaps twice; each
carries a key, and `processed_actions` remembers what the first delivery did. Push
subscriptions are per device (a person may have several); alert preferences per person.
"""
import sqlalchemy as sa
from alembic import op


revision = "0010_phone_app"
# Told: "0005_known_values_only"; chained after the merged outbox (0009) so this
# branch has one head. The integrator re-chains.
down_revision = "0009_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "processed_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(300)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_processed_actions_key"),
    )
    op.create_index("ix_processed_actions_created_at", "processed_actions", ["created_at"])
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("endpoint", sa.String(1000), nullable=False, unique=True),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_push_subscriptions_user_id", "push_subscriptions", ["user_id"])
    op.create_table(
        "alert_preferences",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("new_requests", sa.String(16), nullable=False),
        sa.Column("from_hour", sa.Integer()),
        sa.Column("to_hour", sa.Integer()),
        sa.CheckConstraint("new_requests IN ('immediate', 'digest', 'never')",
                           name=op.f("ck_alert_preferences_new_requests")),
    )


def downgrade():
    op.drop_table("alert_preferences")
    op.drop_index("ix_push_subscriptions_user_id", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    op.drop_index("ix_processed_actions_created_at", table_name="processed_actions")
    op.drop_table("processed_actions")
