"""a regimen keeps the weight and note its dose was calculated on; the site policy keeps the
reason for a cap above the label and a queued re-evaluation

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("regimen", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actual_weight_kg", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("weight_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
    with op.batch_alter_table("site_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_intensity_reason", sqlmodel.sql.sqltypes.AutoString(length=500),
                      nullable=True)
        )
        batch_op.add_column(
            sa.Column("re_evaluation_queued_at", tracker.store.types.UTCDateTime(timezone=True),
                      nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("site_policy", schema=None) as batch_op:
        batch_op.drop_column("re_evaluation_queued_at")
        batch_op.drop_column("max_intensity_reason")
    with op.batch_alter_table("regimen", schema=None) as batch_op:
        batch_op.drop_column("weight_note")
        batch_op.drop_column("actual_weight_kg")
