"""user sessions: one row per signed-in device, deleted when it signs out

Revision ID: 0008_user_sessions
Revises: 0007_speed
Create Date: 2026-12-02 12:00:00

The cookie carries a random token; the row keeps its SHA-256. Signing out deletes the
row, which ends that session (and its remember-me cookie) on the server.
"""
import sqlalchemy as sa
from alembic import op


revision = "0008_user_sessions"
down_revision = "0007_speed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_user_sessions"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])


def downgrade():
    op.drop_index("ix_user_sessions_user_id", table_name="user_sessions")
    op.drop_table("user_sessions")
