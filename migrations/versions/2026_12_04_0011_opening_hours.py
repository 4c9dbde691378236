"""opening hours per weekday, the site's closure days and its holiday country

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    opening_hours = op.create_table(
        "opening_hours",
        sa.Column("weekday", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("opens", sa.Time(), nullable=True),
        sa.Column("closes", sa.Time(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_opening_hours_weekday")),
        sa.CheckConstraint("(opens IS NULL AND closes IS NULL) OR opens < closes",
                           name=op.f("ck_opening_hours_hours")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["staff_user.id"],
                                name=op.f("fk_opening_hours_updated_by_id_staff_user")),
        sa.PrimaryKeyConstraint("weekday", name=op.f("pk_opening_hours")),
    )
    op.create_table(
        "closure_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_user.id"],
                                name=op.f("fk_closure_day_created_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_day")),
        sa.UniqueConstraint("day", name=op.f("uq_closure_day_day")),
    )
    op.create_table(
        "site_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holiday_country", sqlmodel.sql.sqltypes.AutoString(length=8),
                  nullable=False),
        sa.Column("holiday_subdivision", sqlmodel.sql.sqltypes.AutoString(length=16),
                  nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by_id"], ["staff_user.id"],
                                name=op.f("fk_site_calendar_updated_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_calendar")),
    )
    # What the suite kept before (the settings' clinic hours' defaults): Monday to Friday
    # 08:00-18:00, closed at weekends. Written out: a migration is history.
    now = datetime.now(UTC)
    op.bulk_insert(opening_hours, [
        {"weekday": d, "opens": time(8, 0) if d < 5 else None,
         "closes": time(18, 0) if d < 5 else None, "updated_at": now}
        for d in range(7)
    ])


def downgrade() -> None:
    op.drop_table("site_calendar")
    op.drop_table("closure_day")
    op.drop_table("opening_hours")
