"""Keeping the score packs SQLite's sweep made (store.score_packs), in its transaction."""

from collections.abc import Mapping

from sqlmodel import Session

from tracker.services import plain_sql
from tracker.store.score_packs import PACK_FORMAT, SCORE_PACK_TABLE

STORE_PACKS_SQL = (
    f"INSERT OR REPLACE INTO {SCORE_PACK_TABLE} (patient_id, format, scores) VALUES (?, ?, ?)"
)


def store_packs(session: Session, packs: Mapping[int, bytes]) -> None:
    """Keep the packs a batch's read made (`load_packed`'s fresh_packs) in the caller's write
    transaction, which must see what that read saw (a worker's read, on SQLite, follows
    the sweep's BEGIN IMMEDIATE: nothing else is committed in between)."""
    if packs:
        rows = [(pid, PACK_FORMAT, pack) for pid, pack in packs.items()]
        plain_sql.run_rows(session, STORE_PACKS_SQL, rows)
