"""directory: employees, departments, contacts, SIP accounts, company numbers, meta

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "directory_version", "value": 0}])

    op.create_table(
        "departments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("name", name="uq_departments_name"),
        sa.UniqueConstraint("extension", name="uq_departments_extension"),
    )

    op.create_table(
        "employees",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("full_name", sa.String(128), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("department_id", sa.Integer,
                  sa.ForeignKey("departments.id", ondelete="SET NULL",
                                name="fk_employees_department")),
        sa.Column("access_level", sa.String(16), nullable=False),
        sa.Column("extension", sa.String(8), nullable=False),
        sa.Column("online", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("invite_token_hash", sa.String(64)),
        sa.Column("invite_expires_at", TZ),
        sa.UniqueConstraint("full_name", name="uq_employees_full_name"),
        sa.UniqueConstraint("extension", name="uq_employees_extension"),
        sa.UniqueConstraint("invite_token_hash", name="uq_employees_invite_token_hash"),
        sa.CheckConstraint("access_level IN ('admin', 'manager', 'operator')",
                           name="ck_employees_access_level"),
    )
    op.create_index("ix_employees_department_id", "employees", ["department_id"])
    op.create_index("uq_employees_email_lower", "employees", [sa.text("lower(email)")],
                    unique=True)

    op.create_table(
        "employee_contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("employee_id", sa.Integer,
                  sa.ForeignKey("employees.id", ondelete="CASCADE",
                                name="fk_employee_contacts_employee"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("employee_id", "kind", "value", name="uq_employee_contacts_value"),
        sa.CheckConstraint("kind IN ('phone', 'sip_uri')", name="ck_employee_contacts_kind"),
        sa.CheckConstraint("role IN ('primary', 'other')", name="ck_employee_contacts_role"),
    )
    op.create_index("ix_employee_contacts_value", "employee_contacts", ["value"])

    op.create_table(
        "sip_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(40), nullable=False),
        sa.Column("password", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.Integer,
                  sa.ForeignKey("employees.id", ondelete="SET NULL",
                                name="fk_sip_accounts_employee")),
        sa.Column("on_pc", sa.Boolean, nullable=False),
        sa.Column("on_mobile", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("reg_state", sa.String(8), nullable=False, server_default="offline"),
        sa.Column("reg_contact", sa.String(255)),
        sa.Column("reg_updated_at", TZ),
        sa.UniqueConstraint("login", name="uq_sip_accounts_login"),
        sa.CheckConstraint("reg_state IN ('online', 'offline')", name="ck_sip_accounts_reg_state"),
    )
    op.create_index("ix_sip_accounts_employee_id", "sip_accounts", ["employee_id"])

    op.create_table(
        "phone_numbers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("employee_id", sa.Integer,
                  sa.ForeignKey("employees.id", ondelete="SET NULL",
                                name="fk_phone_numbers_employee")),
        sa.Column("ring_timeout", sa.Integer, nullable=False),
        sa.Column("fallback_employee_id", sa.Integer,
                  sa.ForeignKey("employees.id", ondelete="SET NULL",
                                name="fk_phone_numbers_fallback_employee")),
        sa.Column("fallback_phone", sa.String(24)),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("number", name="uq_phone_numbers_number"),
        sa.CheckConstraint("ring_timeout BETWEEN 1 AND 600", name="ck_phone_numbers_ring_timeout"),
        sa.CheckConstraint("fallback_employee_id IS NULL OR fallback_phone IS NULL",
                           name="ck_phone_numbers_one_fallback"),
    )
    op.create_index("ix_phone_numbers_employee_id", "phone_numbers", ["employee_id"])
    op.create_index("ix_phone_numbers_fallback_employee_id", "phone_numbers",
                    ["fallback_employee_id"])


def downgrade() -> None:
    for table in ("phone_numbers", "sip_accounts", "employee_contacts", "employees",
                  "departments", "meta"):
        op.drop_table(table)
