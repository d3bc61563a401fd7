"""voicemail_notifications: the outbox of e-mails and SMS about voicemail messages;
voice_messages.notified_at: when a message's notifications were queued; app_secrets: secrets
the daemon generates once (the listen-link key)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("voice_messages", sa.Column("notified_at", sa.DateTime(timezone=True)))
    # Messages left before notifications existed are not announced now, days later.
    op.execute("UPDATE voice_messages SET notified_at = created_at")
    op.create_table(
        "voicemail_notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey(
            "voice_messages.id", ondelete="CASCADE",
            name="fk_voicemail_notifications_message"), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(500)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("message_id", "channel", "recipient",
                            name="uq_voicemail_notifications_target"),
        sa.CheckConstraint("channel IN ('email', 'sms')",
                           name="ck_voicemail_notifications_channel"),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')",
                           name="ck_voicemail_notifications_state"))
    op.create_index("ix_voicemail_notifications_due", "voicemail_notifications",
                    ["state", "next_attempt_at"])
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False))


def downgrade() -> None:
    op.drop_table("app_secrets")
    op.drop_table("voicemail_notifications")
    op.drop_column("voice_messages", "notified_at")
