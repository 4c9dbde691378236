"""each patient's scores kept packed for SQLite's sweep, dropped by triggers when they change

The sweep strung every score of every patient together at each run, a fifth of its time on
SQLite; `score_pack` keeps each patient's scores, packed in binary, between sweeps
(store/score_packs.py). Triggers on `assessment` delete a patient's pack whenever one of
their scores is inserted, changed or deleted; the next sweep packs them again. SQLite
only: PostgreSQL reads its arrays fast enough. The table starts empty: the first sweep
after the upgrade fills it.

The trigger SQL is written out here, as it was at this revision, not imported.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "score_pack_on_insert": "AFTER INSERT ON assessment BEGIN "
    "DELETE FROM score_pack WHERE patient_id = NEW.patient_id; END",
    "score_pack_on_update": "AFTER UPDATE ON assessment BEGIN "
    "DELETE FROM score_pack WHERE patient_id IN (OLD.patient_id, NEW.patient_id); END",
    "score_pack_on_delete": "AFTER DELETE ON assessment BEGIN "
    "DELETE FROM score_pack WHERE patient_id = OLD.patient_id; END",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE score_pack (patient_id INTEGER NOT NULL PRIMARY KEY "
        "REFERENCES patient (id) ON DELETE CASCADE, format INTEGER NOT NULL, "
        "scores BLOB NOT NULL)"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE score_pack")
