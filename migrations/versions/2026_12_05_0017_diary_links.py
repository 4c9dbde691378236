"""diary links: a patient's secret address for recording readings at home

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diary_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_diary_link_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_diary_link_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["staff_user.id"],
            name=op.f("fk_diary_link_revoked_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_diary_link_token_hash")),
    )
    with op.batch_alter_table("diary_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diary_link_patient_id"), ["patient_id"], unique=False
        )
    op.create_table(
        "diary_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("diary_link_id", sa.Integer(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_diary_note_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["diary_link_id"],
            ["diary_link.id"],
            name=op.f("fk_diary_note_diary_link_id_diary_link"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_note")),
    )
    with op.batch_alter_table("diary_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_diary_note_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("diary_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_note_patient_id"))
    op.drop_table("diary_note")
    with op.batch_alter_table("diary_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diary_link_patient_id"))
    op.drop_table("diary_link")
