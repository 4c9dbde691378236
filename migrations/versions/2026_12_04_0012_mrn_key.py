"""the MRN as compared (trimmed, case-folded, punctuation removed), unique

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _mrn_key(mrn: str) -> str:
    # tracker.rules.identity.mrn_key as of this revision, copied so the migration stays fixed.
    return "".join(c for c in mrn.strip().casefold() if c.isalnum())


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mrn_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
    connection = op.get_bind()
    patient = sa.table("patient", sa.column("id", sa.Integer), sa.column("mrn", sa.String),
                       sa.column("mrn_key", sa.String))
    rows = connection.execute(sa.select(patient.c.id, patient.c.mrn)).all()
    by_key: dict[str, list[str]] = {}
    for _, mrn in rows:
        by_key.setdefault(_mrn_key(mrn), []).append(mrn)
    clashes = {key: mrns for key, mrns in by_key.items() if len(mrns) > 1}
    if clashes:
        # Two records of one MRN are one patient recorded twice: people must merge them, the
        # migration cannot choose which record is right.
        listed = "; ".join(" = ".join(sorted(mrns)) for mrns in sorted(clashes.values()))
        raise RuntimeError(
            f"these MRNs differ only in case or punctuation, so they are one MRN: {listed}. "
            "Merge or correct those patients, then upgrade again."
        )
    for patient_id, mrn in rows:
        connection.execute(
            patient.update().where(patient.c.id == patient_id).values(mrn_key=_mrn_key(mrn))
        )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.alter_column("mrn_key", existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
                              nullable=False)
        batch_op.create_index(batch_op.f("ix_patient_mrn_key"), ["mrn_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_mrn_key"))
        batch_op.drop_column("mrn_key")
