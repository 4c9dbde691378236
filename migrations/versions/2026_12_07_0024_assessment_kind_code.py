"""each score's kind (measure, side, timing, source) as a number the database keeps

The sweep reads every score of every patient with its kind as one character; working the
kind out from the four text columns at each read was a quarter of SQLite's work on that
read. `assessment.kind_code` is a stored generated column (store/score_kinds.py): computed
when a row is written or changed, by the database, whoever writes it. On SQLite a stored
column cannot be added to a table in place, so the table is rebuilt (every score copied
once); on PostgreSQL the table is rewritten by the ALTER.

The expression numbers the measures as rules.MEASURES did at this revision; a migration
that adds a measure replaces it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_CODE = (
    "(((CASE measure WHEN 'grip_vigorimeter' THEN 1 WHEN 'grip_dynamometer' THEN 2 "
    "WHEN 'mrc_sum' THEN 3 WHEN 'rods' THEN 4 WHEN 'incat' THEN 5 WHEN 'onls' THEN 6 "
    "WHEN 'wear_off_day' THEN 7 ELSE 0 END) * 3 + "
    "(CASE side WHEN 'left' THEN 1 WHEN 'right' THEN 2 ELSE 0 END)) * 3 + "
    "(CASE timing WHEN 'pre_infusion' THEN 0 WHEN 'post_infusion' THEN 1 ELSE 2 END)) * 2 + "
    "(CASE source WHEN 'home' THEN 1 ELSE 0 END)"
)


def _kind_code() -> sa.Column:
    return sa.Column("kind_code", sa.Integer(), sa.Computed(KIND_CODE, persisted=True))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("assessment", recreate="always") as batch_op:
            batch_op.add_column(_kind_code())
    else:
        op.add_column("assessment", _kind_code())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("assessment", recreate="always") as batch_op:
            batch_op.drop_column("kind_code")
    else:
        op.drop_column("assessment", "kind_code")
