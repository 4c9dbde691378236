"""a regimen's route (iv or sc) and an assessment's source (clinic or home)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows are what there was before: intravenous regimens and clinic scores.
    with op.batch_alter_table("regimen", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("route", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False,
                      server_default="iv")
        )
        batch_op.create_check_constraint(op.f("ck_regimen_route"), "route IN ('iv', 'sc')")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False,
                      server_default="clinic")
        )
        batch_op.create_check_constraint(
            op.f("ck_assessment_source"), "source IN ('clinic', 'home')"
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_assessment_source"), type_="check")
        batch_op.drop_column("source")
    with op.batch_alter_table("regimen", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_regimen_route"), type_="check")
        batch_op.drop_column("route")
