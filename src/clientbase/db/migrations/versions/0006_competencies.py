"""competencies and competency assessments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default competency list (docs/competencies.md); the head of sales edits it later.
DEFAULTS = [
    ("needs", "Выявление потребностей", "Тренинг: вопросы по СПИН, активное слушание."),
    ("presentation", "Презентация решения", "Тренинг: презентация ценности, выгоды клиента."),
    ("negotiation", "Переговоры и возражения", "Тренинг: переговоры, торг, работа с возражениями."),
    ("product", "Знание продукта", "Продуктовое обучение и аттестация по ассортименту."),
    ("crm", "Дисциплина в CRM", "Стандарты ведения CRM, планирование дня и задач."),
    ("relationship", "Построение отношений", "Тренинг: управление ключевыми клиентами."),
]


def upgrade() -> None:
    op.create_table(
        "competencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("training", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), server_default="100", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competencies")),
        sa.UniqueConstraint("code", name=op.f("uq_competencies_code")),
    )
    competencies = sa.table(
        "competencies",
        sa.column("code", sa.String()),
        sa.column("name", sa.String()),
        sa.column("training", sa.Text()),
        sa.column("position", sa.Integer()),
    )
    op.bulk_insert(
        competencies,
        [
            {"code": code, "name": name, "training": training, "position": 10 * (i + 1)}
            for i, (code, name, training) in enumerate(DEFAULTS)
        ],
    )
    op.create_table(
        "competency_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("assessor", sa.String(length=120), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), server_default="manual", nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_competency_scores_score")),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competencies.id"],
            name=op.f("fk_competency_scores_competency_id_competencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["managers.id"],
            name=op.f("fk_competency_scores_manager_id_managers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency_scores")),
        sa.UniqueConstraint(
            "manager_id",
            "competency_id",
            "assessed_on",
            name=op.f("uq_competency_scores_manager_id_competency_id_assessed_on"),
        ),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_competency_scores_source_external_id")
        ),
    )
    with op.batch_alter_table("competency_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_competency_scores_manager", ["manager_id", "assessed_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("competency_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_competency_scores_manager")

    op.drop_table("competency_scores")
    op.drop_table("competencies")
