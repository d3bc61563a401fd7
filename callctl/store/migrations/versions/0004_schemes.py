"""forwarding schemes and their assignment to company numbers

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schemes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("name", name="uq_schemes_name"),
        sa.CheckConstraint("kind IN ('sequential', 'parallel')", name="ck_schemes_kind"),
    )
    op.create_table(
        "scheme_assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(24),
                  sa.ForeignKey("phone_numbers.number", ondelete="CASCADE",
                                name="fk_scheme_assignments_number"), nullable=False),
        sa.Column("scheme_id", sa.Integer,
                  sa.ForeignKey("schemes.id", ondelete="RESTRICT",
                                name="fk_scheme_assignments_scheme"), nullable=False),
        sa.UniqueConstraint("number", name="uq_scheme_assignments_number"),
    )
    op.create_index("ix_scheme_assignments_scheme_id", "scheme_assignments", ["scheme_id"])


def downgrade() -> None:
    op.drop_table("scheme_assignments")
    op.drop_table("schemes")
