"""the site settings' version token, replaced by triggers on their tables

Every write read the site policy, and a booking the suite's hours, closure days and holiday
country too: each worker now keeps them under a token (services/site_settings.py). The
one-row site_settings_version table holds it, and a trigger on each settings table replaces
it in the same transaction as any change, whoever makes it (the services, an import, a
hand-run UPDATE).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS_TABLES = ("site_policy", "opening_hours", "closure_day", "site_calendar")
# A new random token, 32 hex digits, as each database writes one.
_POSTGRES_TOKEN = "md5(random()::text || clock_timestamp()::text)"
_SQLITE_TOKEN = "lower(hex(randomblob(16)))"


def upgrade() -> None:
    op.create_table(
        "site_settings_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_settings_version")),
    )
    op.execute(
        sa.text("INSERT INTO site_settings_version (id, token) VALUES (1, :token)").bindparams(
            token=secrets.token_hex(16)
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION site_settings_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE site_settings_version SET token = {_POSTGRES_TOKEN} WHERE id = 1; "
            "RETURN NULL; END $$"
        )
        for table in SETTINGS_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_settings_changed AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION site_settings_changed()"
            )
        return
    for table in SETTINGS_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_settings_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN UPDATE site_settings_version SET token = {_SQLITE_TOKEN} WHERE id = 1; "
                "END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SETTINGS_TABLES:
            op.execute(f"DROP TRIGGER {table}_settings_changed ON {table}")
        op.execute("DROP FUNCTION site_settings_changed()")
    else:
        for table in SETTINGS_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_settings_{event}")
    op.drop_table("site_settings_version")
