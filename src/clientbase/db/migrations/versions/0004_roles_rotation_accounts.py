"""roles rules, rotation runs, web accounts and sessions, job locks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_locks")),
    )
    op.create_table(
        "role_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="100", nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "role IN ('acquisition','sales','account','service','admin')",
            name=op.f("ck_role_rules_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_rules")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_role_rules_source_external_id")),
    )
    with op.batch_alter_table("role_rules", schema=None) as batch_op:
        batch_op.create_index("ix_role_rules_priority", ["active", "priority"], unique=False)

    op.create_table(
        "rotation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("rotated", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_runs")),
        sa.UniqueConstraint("run_date", name=op.f("uq_rotation_runs_run_date")),
    )
    op.create_table(
        "rotation_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=3), nullable=False),
        sa.Column("arm", sa.String(length=10), nullable=False),
        sa.Column("from_manager_id", sa.Integer(), nullable=True),
        sa.Column("to_manager_id", sa.Integer(), nullable=True),
        sa.Column("dormant_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "arm IN ('rotated','holdout','unplaced')", name=op.f("ck_rotation_members_arm")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_rotation_members_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_manager_id"],
            ["managers.id"],
            name=op.f("fk_rotation_members_from_manager_id_managers"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rotation_runs.id"],
            name=op.f("fk_rotation_members_run_id_rotation_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_manager_id"],
            ["managers.id"],
            name=op.f("fk_rotation_members_to_manager_id_managers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_members")),
        sa.UniqueConstraint(
            "run_id", "client_id", name=op.f("uq_rotation_members_run_id_client_id")
        ),
    )
    with op.batch_alter_table("rotation_members", schema=None) as batch_op:
        batch_op.create_index("ix_rotation_members_client", ["client_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("language", sa.String(length=5), server_default="ru", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("role IN ('manager','head','admin')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_users_manager_id_managers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_user_sessions_user", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_user_sessions_user")

    op.drop_table("user_sessions")
    op.drop_table("users")
    with op.batch_alter_table("rotation_members", schema=None) as batch_op:
        batch_op.drop_index("ix_rotation_members_client")

    op.drop_table("rotation_members")
    op.drop_table("rotation_runs")
    with op.batch_alter_table("role_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_role_rules_priority")

    op.drop_table("role_rules")
    op.drop_table("job_locks")
