"""name search index, and the patient states' version token

Searching patients by MRN or name compared `lower(column) LIKE '%text%'` over every
patient. PostgreSQL now answers that from trigram GIN indexes (pg_trgm) on the same
expressions; SQLite reads the candidates from an FTS5 trigram table kept by triggers.

The one-row patient_state_version table holds a token that every committed change of the
patients' stored states replaces: the worklist's tab counts are kept per worker under it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expressions the searches compare (services/name_search.py), lower-cased.
_TRIGRAM = {
    "ix_patient_mrn_trgm": "lower(mrn)",
    "ix_patient_family_name_trgm": "lower(family_name)",
    "ix_patient_given_name_trgm": "lower(given_name)",
    "ix_patient_family_given_trgm": "lower(family_name || ', ' || given_name)",
    "ix_patient_given_family_trgm": "lower(given_name || ' ' || family_name)",
}


def _names(row: str) -> str:
    # Every text the search compares is a substring of this one; char(31) keeps them apart.
    return (
        f"{row}.mrn || char(31) || {row}.family_name || ', ' || {row}.given_name"
        f" || char(31) || {row}.given_name || ' ' || {row}.family_name"
    )


def upgrade() -> None:
    op.create_table(
        "patient_state_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_state_version")),
    )
    op.execute(
        sa.text("INSERT INTO patient_state_version (id, token) VALUES (1, :token)").bindparams(
            token=secrets.token_hex(16)
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in _TRIGRAM.items():
            op.execute(f"CREATE INDEX {name} ON patient USING gin (({expression}) gin_trgm_ops)")
        return
    # Contentless (the names stay in `patient` alone); a row is removed by the 'delete'
    # command with the values it was indexed with, which the triggers have in OLD.
    op.execute(
        "CREATE VIRTUAL TABLE patient_name_fts USING fts5("
        "names, content='', tokenize='trigram case_sensitive 0')"
    )
    op.execute(
        f"INSERT INTO patient_name_fts (rowid, names) SELECT id, {_names('patient')} FROM patient"
    )
    op.execute(
        "CREATE TRIGGER patient_name_fts_insert AFTER INSERT ON patient BEGIN "
        f"INSERT INTO patient_name_fts (rowid, names) VALUES (new.id, {_names('new')}); END"
    )
    op.execute(
        "CREATE TRIGGER patient_name_fts_delete AFTER DELETE ON patient BEGIN "
        "INSERT INTO patient_name_fts (patient_name_fts, rowid, names) "
        f"VALUES ('delete', old.id, {_names('old')}); END"
    )
    op.execute(
        "CREATE TRIGGER patient_name_fts_update "
        "AFTER UPDATE OF id, mrn, family_name, given_name ON patient BEGIN "
        "INSERT INTO patient_name_fts (patient_name_fts, rowid, names) "
        f"VALUES ('delete', old.id, {_names('old')}); "
        f"INSERT INTO patient_name_fts (rowid, names) VALUES (new.id, {_names('new')}); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGRAM:
            op.execute(f"DROP INDEX {name}")
        # The extension stays: other databases' objects on this server may use it.
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER patient_name_fts_{trigger}")
        op.execute("DROP TABLE patient_name_fts")
    op.drop_table("patient_state_version")
