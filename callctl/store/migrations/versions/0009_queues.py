"""queues: routing documents and number routes of kind queue; queue_visits for the log;
queue_callbacks: callers who asked to be called back, in their place in line

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('ivr', 'voicemail')"
KINDS_AFTER = "kind IN ('ivr', 'voicemail', 'queue')"


def _kinds(check: str) -> None:
    with op.batch_alter_table("routing_documents") as t:
        t.drop_constraint("ck_routing_documents_kind", type_="check")
        t.create_check_constraint("ck_routing_documents_kind", check)
    with op.batch_alter_table("number_routes") as t:
        t.drop_constraint("ck_number_routes_kind", type_="check")
        t.create_check_constraint("ck_number_routes_kind", check)


def upgrade() -> None:
    _kinds(KINDS_AFTER)
    op.create_table(
        "queue_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(128), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True)),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("answered_by", sa.String(128)),
        sa.Column("wait_seconds", sa.Float()),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('answered', 'abandoned', "
                           "'timeout', 'next', 'callback')", name="ck_queue_visits_outcome"))
    op.create_index("ix_queue_visits_queue_joined_at", "queue_visits", ["queue", "joined_at"])
    op.create_index("ix_queue_visits_call_id", "queue_visits", ["call_id"])
    op.create_table(
        "queue_callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("queue", sa.String(128), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("caller_id", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("joined_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(255)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('waiting', 'dialled', 'failed')",
                           name="ck_queue_callbacks_state"))
    op.create_index("ix_queue_callbacks_state", "queue_callbacks", ["state", "queue"])


def downgrade() -> None:
    op.drop_table("queue_callbacks")
    op.drop_table("queue_visits")
    op.execute("DELETE FROM number_routes WHERE kind = 'queue'")
    op.execute("DELETE FROM routing_documents WHERE kind = 'queue'")
    _kinds(KINDS_BEFORE)
