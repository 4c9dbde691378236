"""infusion: a partial index on patient_id for booked courses, for the sweep's reading

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

The sweep reads each batch of patients' booked courses. Without this index PostgreSQL
reads every course of the batch (forty-odd a patient) to keep the booked few: 11 ms a
batch of 500 at 100,000 patients, against under 1 ms with it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_infusion_booked_patient",
        "infusion",
        ["patient_id"],
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    )


def downgrade() -> None:
    op.drop_index("ix_infusion_booked_patient", table_name="infusion")
