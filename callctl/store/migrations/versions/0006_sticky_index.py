"""index for sticky routing: the caller's calls of today

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_calls_caller_started_at", "calls", ["caller", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_caller_started_at", table_name="calls")
