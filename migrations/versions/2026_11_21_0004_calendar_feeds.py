"""calendar feeds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'patient' AND patient_id IS NOT NULL AND chair_id IS NULL)"
            " OR (kind = 'chair' AND chair_id IS NOT NULL AND patient_id IS NULL)",
            name=op.f("ck_calendar_feed_subject"),
        ),
        sa.CheckConstraint("kind IN ('patient', 'chair')", name=op.f("ck_calendar_feed_kind")),
        sa.ForeignKeyConstraint(["chair_id"], ["chair.id"],
                                name=op.f("fk_calendar_feed_chair_id_chair"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"],
                                name=op.f("fk_calendar_feed_created_by_id_staff_user")),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_calendar_feed_patient_id_patient"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["staff_user.id"],
                                name=op.f("fk_calendar_feed_revoked_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feed_chair_id"), ["chair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_feed_patient_id"), ["patient_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_patient_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feed_chair_id"))
    op.drop_table("calendar_feed")
