"""no response and refractory in the stored state; the day a patient came back from hold

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refractory_detail", sqlmodel.sql.sqltypes.AutoString(length=1000),
                                      nullable=True))
        batch_op.add_column(sa.Column("no_response_detail", sqlmodel.sql.sqltypes.AutoString(length=1000),
                                      nullable=True))
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resumed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("resumed_on")
    with op.batch_alter_table("patient_state", schema=None) as batch_op:
        batch_op.drop_column("no_response_detail")
        batch_op.drop_column("refractory_detail")
