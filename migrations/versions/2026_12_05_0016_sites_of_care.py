"""sites of care: a course's site, nurse and visit address; the patient's home address

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SITE_RESOURCES = (
    "(site = 'chair' AND nurse_id IS NULL)"
    " OR (site = 'home_nurse' AND nurse_id IS NOT NULL AND chair_id IS NULL)"
    " OR (site = 'self' AND nurse_id IS NULL AND chair_id IS NULL)"
)

OLD_FEED_SUBJECT = (
    "(kind = 'patient' AND patient_id IS NOT NULL AND chair_id IS NULL)"
    " OR (kind = 'chair' AND chair_id IS NOT NULL AND patient_id IS NULL)"
)
FEED_SUBJECT = (
    "(kind = 'patient' AND patient_id IS NOT NULL AND chair_id IS NULL AND nurse_id IS NULL)"
    " OR (kind = 'chair' AND chair_id IS NOT NULL AND patient_id IS NULL AND nurse_id IS NULL)"
    " OR (kind = 'nurse' AND nurse_id IS NOT NULL AND patient_id IS NULL AND chair_id IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_line1",
                                      sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("address_line2",
                                      sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column("postcode",
                                      sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        # Every course booked before sites of care was in the centre.
        batch_op.add_column(sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=12),
                                      server_default="chair", nullable=False))
        batch_op.add_column(sa.Column("nurse_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_address",
                                      sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.create_foreign_key(op.f("fk_infusion_nurse_id_staff_user"), "staff_user",
                                    ["nurse_id"], ["id"])
        batch_op.create_check_constraint(op.f("ck_infusion_site"),
                                         "site IN ('chair', 'home_nurse', 'self')")
        batch_op.create_check_constraint(op.f("ck_infusion_site_resources"), SITE_RESOURCES)
        batch_op.create_index("ix_infusion_nurse_day", ["nurse_id", "scheduled_on"], unique=False)
        batch_op.create_index("uq_infusion_nurse_start", ["nurse_id", "scheduled_on", "start_time"],
                              unique=True, sqlite_where=sa.text("status = 'booked'"),
                              postgresql_where=sa.text("status = 'booked'"))
    # A nurse's visits as a calendar feed for her phone.
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nurse_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_calendar_feed_nurse_id_staff_user"), "staff_user",
                                    ["nurse_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_calendar_feed_nurse_id"), ["nurse_id"], unique=False)
        batch_op.drop_constraint(op.f("ck_calendar_feed_kind"), type_="check")
        batch_op.drop_constraint(op.f("ck_calendar_feed_subject"), type_="check")
        batch_op.create_check_constraint(op.f("ck_calendar_feed_kind"),
                                         "kind IN ('patient', 'chair', 'nurse')")
        batch_op.create_check_constraint(op.f("ck_calendar_feed_subject"), FEED_SUBJECT)


def downgrade() -> None:
    op.execute("DELETE FROM calendar_feed WHERE kind = 'nurse'")
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_calendar_feed_subject"), type_="check")
        batch_op.drop_constraint(op.f("ck_calendar_feed_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_calendar_feed_kind"),
                                         "kind IN ('patient', 'chair')")
        batch_op.create_check_constraint(op.f("ck_calendar_feed_subject"), OLD_FEED_SUBJECT)
        batch_op.drop_index(batch_op.f("ix_calendar_feed_nurse_id"))
        batch_op.drop_constraint(op.f("fk_calendar_feed_nurse_id_staff_user"), type_="foreignkey")
        batch_op.drop_column("nurse_id")
    with op.batch_alter_table("infusion", schema=None) as batch_op:
        batch_op.drop_index("uq_infusion_nurse_start",
                            sqlite_where=sa.text("status = 'booked'"),
                            postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index("ix_infusion_nurse_day")
        batch_op.drop_constraint(op.f("ck_infusion_site_resources"), type_="check")
        batch_op.drop_constraint(op.f("ck_infusion_site"), type_="check")
        batch_op.drop_constraint(op.f("fk_infusion_nurse_id_staff_user"), type_="foreignkey")
        batch_op.drop_column("visit_address")
        batch_op.drop_column("nurse_id")
        batch_op.drop_column("site")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("postcode")
        batch_op.drop_column("address_line2")
        batch_op.drop_column("address_line1")
