"""other treatments of MMN besides IVIG: cyclophosphamide, rituximab, a trial drug, other

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The kinds are written out, not read from OtherTreatmentKind: a migration is history and
    # must not change when the enum does (a new kind gets a migration of its own).
    op.create_table(
        "other_treatment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('cyclophosphamide', 'rituximab', 'trial_drug', 'other')",
                           name=op.f("ck_other_treatment_kind")),
        sa.CheckConstraint("kind NOT IN ('trial_drug', 'other') OR description <> ''",
                           name=op.f("ck_other_treatment_described")),
        sa.CheckConstraint("stopped_on IS NULL OR stopped_on >= started_on",
                           name=op.f("ck_other_treatment_stop_after_start")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_other_treatment_patient_id_patient"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["staff_user.id"],
                                name=op.f("fk_other_treatment_recorded_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_other_treatment")),
    )
    with op.batch_alter_table("other_treatment", schema=None) as batch_op:
        batch_op.create_index("ix_other_treatment_patient_start", ["patient_id", "started_on"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("other_treatment", schema=None) as batch_op:
        batch_op.drop_index("ix_other_treatment_patient_start")
    op.drop_table("other_treatment")
