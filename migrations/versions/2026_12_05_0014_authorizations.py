"""funding authorisations; a course's override reason; the funding flags in the stored state

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "funding_authorization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("payer", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("approved_g", sa.Float(), nullable=True),
        sa.Column("approved_courses", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on",
                           name=op.f("ck_funding_authorization_ends_after_start")),
        sa.CheckConstraint("approved_g IS NULL OR approved_g > 0",
                           name=op.f("ck_funding_authorization_grams_positive")),
        sa.CheckConstraint("approved_courses IS NULL OR approved_courses > 0",
                           name=op.f("ck_funding_authorization_courses_positive")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_funding_authorization_patient_id_patient"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["staff_user.id"],
                                name=op.f("fk_funding_authorization_recorded_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_authorization")),
    )
    with op.batch_alter_table("funding_authorization", schema=None) as batch_op:
        batch_op.create_index("ix_funding_authorization_patient_start",
                              ["patient_id", "starts_on"], unique=False)
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_reason",
                                      sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    # The flag codes are not a check constraint of patient_state (each flag is its own
    # columns), so the two new flags need columns, not a widened constraint.
    with op.batch_alter_table("patient_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorization_ending_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("authorization_ending_detail",
                                      sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column("authorization_missing_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("authorization_missing_detail",
                                      sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.create_index("ix_state_authorization_ending_on", ["authorization_ending_on"],
                              unique=False)
        batch_op.create_index("ix_state_authorization_missing_on", ["authorization_missing_on"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patient_state", schema=None) as batch_op:
        batch_op.drop_index("ix_state_authorization_missing_on")
        batch_op.drop_index("ix_state_authorization_ending_on")
        batch_op.drop_column("authorization_missing_detail")
        batch_op.drop_column("authorization_missing_on")
        batch_op.drop_column("authorization_ending_detail")
        batch_op.drop_column("authorization_ending_on")
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
    with op.batch_alter_table("funding_authorization", schema=None) as batch_op:
        batch_op.drop_index("ix_funding_authorization_patient_start")
    op.drop_table("funding_authorization")
