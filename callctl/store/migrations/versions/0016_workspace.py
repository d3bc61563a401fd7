"""the workspace page's sign-in sessions (SHA-256 of the cookie's id only)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("employee_id", sa.Integer(),
                  sa.ForeignKey("employees.id", name="fk_web_sessions_employee",
                                ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("idle_until", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
    )
    op.create_index("ix_web_sessions_employee_id", "web_sessions", ["employee_id"])


def downgrade() -> None:
    op.drop_table("web_sessions")
