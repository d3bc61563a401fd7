"""outgoing caller-ID rules and bans; the built-in CRM (clients, phones, leads/contacts/
deals, tasks, CRM users); calls: who made an outgoing call and the caller ID it showed

Revision ID: 0014
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("calls", sa.Column("employee", sa.String(128)))
    op.add_column("calls", sa.Column("caller_id", sa.String(32)))
    op.create_index("ix_calls_employee_started_at", "calls", ["employee", "started_at"])
    op.create_table(
        "outgoing_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("number", sa.String(24), nullable=False),
        sa.UniqueConstraint("scope", "owner", "prefix", name="uq_outgoing_rules_owner_prefix"),
        sa.CheckConstraint("scope IN ('sip_account', 'employee', 'department', 'company')",
                           name="ck_outgoing_rules_scope"))
    op.create_table("outgoing_bans", sa.Column("login", sa.String(40), primary_key=True))
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("company", sa.String(128)),
        sa.Column("address", sa.String(255)),
        sa.Column("comment", sa.Text()),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False))
    op.create_table(
        "client_phones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey(
            "clients.id", ondelete="CASCADE", name="fk_client_phones_client"), nullable=False),
        sa.Column("number", sa.String(24), nullable=False))
    op.create_index("uq_client_phones_number", "client_phones", ["number"], unique=True)
    op.create_table(
        "crm_entities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey(
            "clients.id", ondelete="CASCADE", name="fk_crm_entities_client"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("responsible_id", sa.Integer(), sa.ForeignKey(
            "employees.id", ondelete="SET NULL", name="fk_crm_entities_responsible")),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("kind IN ('lead', 'contact', 'deal')", name="ck_crm_entities_kind"),
        sa.CheckConstraint("state IN ('open', 'closed')", name="ck_crm_entities_state"))
    op.create_index("ix_crm_entities_client", "crm_entities", ["client_id", "kind", "state"])
    op.create_table(
        "crm_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey(
            "clients.id", ondelete="CASCADE", name="fk_crm_tasks_client")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("call_id", sa.String(64)),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("responsible_id", sa.Integer(), sa.ForeignKey(
            "employees.id", ondelete="SET NULL", name="fk_crm_tasks_responsible")),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("done_at", TZ),
        sa.Column("created_at", TZ, nullable=False))
    op.create_index("ix_crm_tasks_open", "crm_tasks", ["done_at", "due_at"])
    op.create_index("uq_crm_tasks_call", "crm_tasks", ["call_id"], unique=True)
    op.create_table(
        "crm_users",
        sa.Column("crm_user_id", sa.String(128), primary_key=True),
        sa.Column("employee_id", sa.Integer(), sa.ForeignKey(
            "employees.id", ondelete="CASCADE", name="fk_crm_users_employee"),
            nullable=False, unique=True))


def downgrade() -> None:
    for table in ("crm_users", "crm_tasks", "crm_entities", "client_phones", "clients",
                  "outgoing_bans", "outgoing_rules"):
        op.drop_table(table)
    op.drop_index("ix_calls_employee_started_at", table_name="calls")
    op.drop_column("calls", "caller_id")
    op.drop_column("calls", "employee")
