"""the outbox of messages, the residents' choice of channel, and providers' tokens

Revision ID: 0009_outbox
Revises: 0005_known_values_only
Create Date: 2026-12-05 10:00:00

Values are written out here, not read from the enums (see 0005). SQLite cannot add a
constraint to a table, so batch mode copies `tickets`, with foreign keys off around
the copy as in 0005.
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_outbox"
down_revision = "0005_known_values_only"
branch_labels = None
depends_on = None

NOTIFY_CHANNELS = ("sms", "zalo", "email", "none")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dead")


def _one_of(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _foreign_keys(on: bool):
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("delivery_key", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_outbox_messages_ticket_id_tickets"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["ticket_events.id"],
                                name=op.f("fk_outbox_messages_event_id_ticket_events"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_outbox_messages_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_messages_dedupe_key")),
        sa.UniqueConstraint("delivery_key", name=op.f("uq_outbox_messages_delivery_key")),
        sa.CheckConstraint(_one_of("status", OUTBOX_STATUSES), name=op.f("ck_outbox_messages_status")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_recipient_created", "outbox_messages",
                    ["recipient_key", "created_at"])
    op.create_index(op.f("ix_outbox_messages_ticket_id"), "outbox_messages", ["ticket_id"])

    op.create_table(
        "provider_tokens",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("access_token", sa.String(length=1000), nullable=False),
        sa.Column("refresh_token", sa.String(length=1000), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_provider_tokens")),
    )

    _foreign_keys(False)
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("notify_channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("notify_locale", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("notify_stopped_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_tickets_notify_channel"),
                                         _one_of("notify_channel", NOTIFY_CHANNELS))
        batch_op.create_check_constraint(op.f("ck_tickets_rating"), "rating BETWEEN 1 AND 5")
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_constraint(op.f("ck_tickets_rating"), type_="check")
        batch_op.drop_constraint(op.f("ck_tickets_notify_channel"), type_="check")
        for column in ("rating", "notify_stopped_at", "notify_locale", "notify_channel"):
            batch_op.drop_column(column)
    _foreign_keys(True)
    op.drop_table("provider_tokens")
    op.drop_index(op.f("ix_outbox_messages_ticket_id"), table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_recipient_created", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
