"""calls: ended_after, the earliest a call can have ended when only bounds are known (it
ended while the daemon was away and Asterisk kept no end time)

Revision ID: 0011
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calls", sa.Column("ended_after", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("calls", "ended_after")
