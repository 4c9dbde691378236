"""patient_state fillfactor 70 on PostgreSQL: room on each page for the row's next version

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

Every sweep and every write rewrites patient states. With a tenth or more of each page
free, PostgreSQL can put the new version beside the old one and skip its nine indexes
when no indexed column changed (a HOT update): at 100,000 patients six in ten of a full
sweep's updates then touch no index. Pages already full keep their rows until the table is
rewritten (VACUUM FULL); new and updated pages follow the setting. Nothing on SQLite.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE patient_state SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE patient_state RESET (fillfactor)")
