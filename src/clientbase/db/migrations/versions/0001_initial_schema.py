"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "app_meta",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_meta")),
    )
    op.create_table(
        "change_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_history")),
    )
    with op.batch_alter_table("change_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_change_history_entity", ["entity", "entity_id", "at"], unique=False
        )

    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("tax_id", sa.String(length=12), nullable=True),
        sa.Column("region", sa.String(length=120), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("industry", sa.String(length=120), nullable=True),
        sa.Column("product_line", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=120), nullable=True),
        sa.Column("ownership", sa.String(length=120), nullable=True),
        sa.Column("tier", sa.String(length=3), server_default="C", nullable=False),
        sa.Column("tier_given", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "potential",
            sa.Numeric(precision=16, scale=2, asdecimal=False),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "revenue_12m",
            sa.Numeric(precision=16, scale=2, asdecimal=False),
            server_default="0",
            nullable=False,
        ),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("first_purchase", sa.Date(), nullable=True),
        sa.Column("last_purchase", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="prospect", nullable=False),
        sa.Column("locked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "status IN ('prospect','active','dormant','lost')", name=op.f("ck_clients_status")
        ),
        sa.CheckConstraint("tier IN ('VIP','A','B','C')", name=op.f("ck_clients_tier")),
        sa.CheckConstraint("potential >= 0", name=op.f("ck_clients_potential")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_clients_source_external_id")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clients_name"), ["name"], unique=False)
        batch_op.create_index(
            "ix_clients_segment", ["region", "industry", "channel", "ownership"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_clients_tax_id"), ["tax_id"], unique=False)

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_table(
        "managers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("role_group", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.Integer(), server_default="1", nullable=False),
        sa.Column("experience_years", sa.Float(), nullable=True),
        sa.Column("capacity_override", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("complexity", sa.Integer(), nullable=True),
        sa.Column("readiness", sa.Integer(), nullable=True),
        sa.Column("support", sa.Integer(), nullable=True),
        sa.Column("tools", sa.Integer(), nullable=True),
        sa.Column("regions", sa.Text(), server_default="*", nullable=False),
        sa.Column("industries", sa.Text(), server_default="*", nullable=False),
        sa.Column("product_lines", sa.Text(), server_default="*", nullable=False),
        sa.Column("channels", sa.Text(), server_default="*", nullable=False),
        sa.Column("ownerships", sa.Text(), server_default="*", nullable=False),
        sa.Column("tiers", sa.Text(), server_default="*", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "role_group IN ('hunter','farmer','service','admin','head')",
            name=op.f("ck_managers_role_group"),
        ),
        sa.CheckConstraint("grade BETWEEN 1 AND 5", name=op.f("ck_managers_grade")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_managers")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_managers_source_external_id")),
    )
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_managers_email"), ["email"], unique=False)

    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_absences_dates")),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_absences_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=True),
        sa.Column("started", sa.DateTime(), nullable=False),
        sa.Column("ended", sa.DateTime(), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("due", sa.DateTime(), nullable=True),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "type IN ('call','meeting','email','task','inbound')", name=op.f("ck_activities_type")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_activities_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["managers.id"], name=op.f("fk_activities_manager_id_managers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_activities_source_external_id")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activities_client_started", ["client_id", "started"], unique=False
        )
        batch_op.create_index(
            "ix_activities_manager_started", ["manager_id", "started"], unique=False
        )

    op.create_table(
        "colleague_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_manager_id", sa.Integer(), nullable=False),
        sa.Column("to_manager_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "from_manager_id <> to_manager_id", name=op.f("ck_colleague_feedback_not_self")
        ),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_colleague_feedback_score")),
        sa.ForeignKeyConstraint(
            ["from_manager_id"],
            ["managers.id"],
            name=op.f("fk_colleague_feedback_from_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_manager_id"],
            ["managers.id"],
            name=op.f("fk_colleague_feedback_to_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_colleague_feedback")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_colleague_feedback_source_external_id")
        ),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="RUB", nullable=False),
        sa.Column("created", sa.Date(), nullable=False),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=5), server_default="open", nullable=False),
        sa.Column("stage", sa.String(length=120), nullable=True),
        sa.Column("product_line", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint("outcome IN ('open','won','lost')", name=op.f("ck_deals_outcome")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_deals_amount")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_deals_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["managers.id"], name=op.f("fk_deals_manager_id_managers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_deals_source_external_id")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index("ix_deals_client_closed", ["client_id", "closed"], unique=False)
        batch_op.create_index("ix_deals_manager_closed", ["manager_id", "closed"], unique=False)

    op.create_table(
        "plan_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_plan_targets_amount")),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_plan_targets_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_targets")),
        sa.UniqueConstraint("manager_id", "period", name=op.f("uq_plan_targets_manager_id_period")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_plan_targets_source_external_id")
        ),
    )
    op.create_table(
        "responsibilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "role IN ('acquisition','sales','account','service','admin')",
            name=op.f("ck_responsibilities_role"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_responsibilities_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["managers.id"], name=op.f("fk_responsibilities_manager_id_managers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsibilities")),
    )
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_responsibilities_manager_active", ["manager_id", "role", "until"], unique=False
        )
        batch_op.create_index(
            "uq_responsibilities_active",
            ["client_id", "role"],
            unique=True,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("scale", sa.String(length=4), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="survey", nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "(scale = 'csat' AND score BETWEEN 1 AND 5) OR (scale = 'nps' AND score BETWEEN 0 AND 10)",
            name=op.f("ck_surveys_score"),
        ),
        sa.CheckConstraint(
            "kind IN ('survey','mystery_shopping','call_review')", name=op.f("ck_surveys_kind")
        ),
        sa.CheckConstraint("scale IN ('csat','nps')", name=op.f("ck_surveys_scale")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_surveys_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_surveys_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_surveys_source_external_id")),
    )


def downgrade() -> None:

    op.drop_table("surveys")
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_responsibilities_active",
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )
        batch_op.drop_index("ix_responsibilities_manager_active")

    op.drop_table("responsibilities")
    op.drop_table("plan_targets")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_manager_closed")
        batch_op.drop_index("ix_deals_client_closed")

    op.drop_table("deals")
    op.drop_table("colleague_feedback")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_manager_started")
        batch_op.drop_index("ix_activities_client_started")

    op.drop_table("activities")
    op.drop_table("absences")
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_managers_email"))

    op.drop_table("managers")
    op.drop_table("import_batches")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_tax_id"))
        batch_op.drop_index("ix_clients_segment")
        batch_op.drop_index(batch_op.f("ix_clients_name"))

    op.drop_table("clients")
    with op.batch_alter_table("change_history", schema=None) as batch_op:
        batch_op.drop_index("ix_change_history_entity")

    op.drop_table("change_history")
    op.drop_table("app_meta")
