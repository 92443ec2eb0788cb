"""covering index of the deals for the KPI scorecard

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every deal figure of the scorecard (volume, won, lost, buyers, retention, last year) is
# one range of this index per manager, read without touching the table rows.
COLUMNS = ["manager_id", "outcome", "closed", "client_id", "amount"]


def upgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index("ix_deals_manager_outcome_closed", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_manager_outcome_closed")
