"""a booked course's planned dose

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_dose_g", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_column("planned_dose_g")
