"""call log: scheme/branch, answering department, tags, comment, legs, filter indexes

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def new_columns() -> list[sa.Column]:
    # Fresh objects on every call: a Column can belong to one Table only, and tests run
    # this migration many times in one process.
    return [
        sa.Column("scheme", sa.String(128)),
        sa.Column("branch", sa.String(128)),
        sa.Column("answered_department", sa.String(128)),
        sa.Column("category", sa.String(64)),
        sa.Column("value", sa.String(64)),
        sa.Column("comment", sa.Text),
    ]


# (name, columns): each ends with (started_at, id), the keyset order of every page.
INDEXES = [
    ("ix_calls_started_at_id", ["started_at", "id"]),
    ("ix_calls_answered_by_started_at", ["answered_by", "started_at", "id"]),
    ("ix_calls_department_started_at", ["answered_department", "started_at", "id"]),
    ("ix_calls_number_started_at", ["number", "started_at", "id"]),
    ("ix_calls_outcome_started_at_id", ["outcome", "started_at", "id"]),
]
OLD_INDEXES = [
    ("ix_calls_started_at", ["started_at"]),
    ("ix_calls_outcome_started_at", ["outcome", "started_at"]),
]
LEG_RESULTS = ("answered", "no_answer", "busy", "failed", "cancelled", "skipped")


def upgrade() -> None:
    for column in new_columns():
        op.add_column("calls", column)
    for name, _ in OLD_INDEXES:  # superseded by the (…, started_at, id) ones
        op.drop_index(name, table_name="calls")
    for name, columns in INDEXES:
        op.create_index(name, "calls", columns)

    results = ", ".join(f"'{r}'" for r in LEG_RESULTS)
    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.String(64),
                  sa.ForeignKey("calls.id", ondelete="CASCADE", name="fk_call_legs_call"),
                  nullable=False),
        sa.Column("channel_id", sa.String(128)),  # none for a skipped leg
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("employee", sa.String(128)),
        sa.Column("rang_from", TZ, nullable=False),
        sa.Column("rang_to", TZ),
        sa.Column("result", sa.String(16)),  # none while it rings
        sa.Column("reason", sa.String(255)),
        sa.CheckConstraint(f"result IS NULL OR result IN ({results})",
                           name="ck_call_legs_result"),
    )
    op.create_index("ix_call_legs_call_id", "call_legs", ["call_id", "id"])
    op.create_index("uq_call_legs_channel_id", "call_legs", ["channel_id"], unique=True)
    op.create_index("ix_call_legs_employee_rang_from", "call_legs", ["employee", "rang_from"])


def downgrade() -> None:
    op.drop_table("call_legs")
    for name, _ in INDEXES:
        op.drop_index(name, table_name="calls")
    for name, columns in OLD_INDEXES:
        op.create_index(name, "calls", columns)
    with op.batch_alter_table("calls") as batch:
        for column in new_columns():
            batch.drop_column(column.name)
