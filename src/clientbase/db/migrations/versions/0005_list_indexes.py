"""indexes for lists, dashboards and load at 100 000 clients

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLIENT_INDEXES = {
    "ix_clients_potential": ["potential"],
    "ix_clients_region_status_potential": ["region", "status", "potential"],
    "ix_clients_status": ["status"],
    "ix_clients_tier": ["tier"],
}


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        for name, columns in CLIENT_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_responsibilities_open", ["until", "manager_id", "client_id"], unique=False
        )
        batch_op.create_index("ix_responsibilities_client", ["client_id", "role"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("responsibilities", schema=None) as batch_op:
        batch_op.drop_index("ix_responsibilities_client")
        batch_op.drop_index("ix_responsibilities_open")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        for name in CLIENT_INDEXES:
            batch_op.drop_index(name)
