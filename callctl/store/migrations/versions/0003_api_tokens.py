"""API bearer tokens (SHA-256 hashes only)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.Integer,
                  sa.ForeignKey("employees.id", name="fk_api_tokens_employee",
                                ondelete="CASCADE"), nullable=False),
        sa.Column("label", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_employee_id", "api_tokens", ["employee_id"])


def downgrade() -> None:
    op.drop_table("api_tokens")
