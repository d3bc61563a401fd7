"""transfers: each transfer of a call (who to whom, blind or attended, keypad, REFER or
API, how it ended)

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "call_transfers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), sa.ForeignKey(
            "calls.id", ondelete="CASCADE", name="fk_call_transfers_call"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("transferer", sa.String(128), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("label", sa.String(255)),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("answered_at", TZ),
        sa.Column("ended_at", TZ),
        sa.Column("result", sa.String(16)),
        sa.Column("recipient", sa.String(128)),
        sa.Column("recipient_leg", sa.String(128)),
        sa.Column("detail", sa.String(255)),
        sa.CheckConstraint("mode IN ('blind', 'attended')", name="ck_call_transfers_mode"),
        sa.CheckConstraint("via IN ('keypad', 'refer', 'api')", name="ck_call_transfers_via"),
        sa.CheckConstraint("result IS NULL OR result IN ('completed', 'cancelled', "
                           "'no_answer', 'declined', 'refused', 'abandoned')",
                           name="ck_call_transfers_result"))
    op.create_index("uq_call_transfers_call_seq", "call_transfers", ["call_id", "seq"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_call_transfers_call_seq", table_name="call_transfers")
    op.drop_table("call_transfers")
