"""an index for a booking's clash check: one chair's courses around a day

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The partial unique index on (chair_id, scheduled_on, start_time) holds booked courses
    # only; the clash check also reads given ones, and without this index read every course
    # of every chair in the days around (some 18,000 rows at 100,000 patients).
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.create_index("ix_infusion_chair_day", ["chair_id", "scheduled_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_index("ix_infusion_chair_day")
