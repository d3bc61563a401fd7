"""employees: call waiting; calls: the caller's name, the route through menus and voicemail, the voicemail box;
voice_messages: recorded voicemail; routing_documents: IVR menus and voicemail boxes;
number_routes: numbers served by a menu or a box

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite >= 3.35): a batch copy of `employees` would lose its
    # expression index on lower(email).
    op.add_column("employees", sa.Column("call_waiting", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column("calls", sa.Column("caller_name", sa.String(128)))
    op.add_column("calls", sa.Column("route", sa.Text()))
    op.add_column("calls", sa.Column("voicemail_box", sa.String(128)))
    op.create_table(
        "voice_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("box", sa.String(128), nullable=False),
        sa.Column("recording", sa.String(128), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("audio", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_voice_messages_call_id", "voice_messages", ["call_id"])
    op.create_table(
        "routing_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "name", name="uq_routing_documents_kind_name"),
        sa.CheckConstraint("kind IN ('ivr', 'voicemail')", name="ck_routing_documents_kind"))
    op.create_table(
        "number_routes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(24), sa.ForeignKey(
            "phone_numbers.number", ondelete="CASCADE", name="fk_number_routes_number"),
            nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.UniqueConstraint("number", name="uq_number_routes_number"),
        sa.CheckConstraint("kind IN ('ivr', 'voicemail')", name="ck_number_routes_kind"))
    op.create_index("uq_voice_messages_recording", "voice_messages", ["recording"],
                    unique=True)


def downgrade() -> None:
    op.drop_column("employees", "call_waiting")
    op.drop_table("number_routes")
    op.drop_table("routing_documents")
    op.drop_table("voice_messages")
    for column in ("voicemail_box", "route", "caller_name"):
        op.drop_column("calls", column)
