"""state expiry: the day a patient's stored evaluation stops being true by the calendar alone

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

The daily sweep re-evaluates only the patients whose state expires on or before its day
(rules/expiry.py). States stored before this column have none (NULL): the next sweep
evaluates them, as it does a patient with no state.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_state_expires_on", ["expires_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patient_state", schema=None) as batch_op:
        batch_op.drop_index("ix_state_expires_on")
        batch_op.drop_column("expires_on")
