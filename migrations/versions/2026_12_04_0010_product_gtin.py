"""a product's GTIN, for reading the GS1 DataMatrix on its vials

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14),
                                      nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_product_gtin"), ["gtin"])


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_product_gtin"), type_="unique")
        batch_op.drop_column("gtin")
