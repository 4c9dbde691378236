"""The version of the patients' stored states: a token replaced by every committed change.

What is computed over every patient's state (the worklist's tab counts) can be kept by a
worker under the token it read, and used again while the token is unchanged: a change
committed by any worker or process replaces the token in the same transaction, so the next
reader anywhere sees a new token and computes again.
"""

import secrets

from sqlalchemy import event
from sqlmodel import Session, select

from tracker.services import audit
from tracker.store.models import PatientState, PatientStateVersion

_CHANGED = "patient_states_changed"


def states_changed(session: Session) -> None:
    """Note that this transaction wrote patients' states: the token is replaced at commit."""
    session.info[_CHANGED] = True


def changed_here(session: Session) -> bool:
    """Whether this transaction has written states that are not committed yet (what it
    reads over every patient then holds its own changes, and must not be kept for others)."""
    return bool(session.info.get(_CHANGED))


def current_token(session: Session) -> str:
    """The token of the states as this transaction sees them."""
    token = session.exec(
        select(PatientStateVersion.token).where(PatientStateVersion.id == 1)
    ).first()
    # No row (a database emptied by hand): a token of its own each time, so nothing is kept.
    return token if token is not None else secrets.token_hex(16)


def new_token() -> str:
    """A token no earlier version had (random: see PatientStateVersion)."""
    return secrets.token_hex(16)


def _orm_changes(session: Session) -> bool:
    return any(
        isinstance(obj, PatientState)
        for objs in (session.new, session.dirty, session.deleted)
        for obj in objs
    )


@event.listens_for(Session, "after_flush")
def _note_orm_changes(session: Session, _context: object) -> None:
    # The services write states with plain SQL (write_states), which notes the change
    # itself; a state changed through the ORM is noted here.
    if _orm_changes(session):
        session.info[_CHANGED] = True


_REPLACE_SQL = "UPDATE patient_state_version SET token = {mark} WHERE id = 1"


# Before audit's hook (insert=True), so that with an audit entry to write the token is
# replaced in the round trip that takes the chain's lock, and under it: no statement and no
# wait of its own (audited writes are serialised there already).
@event.listens_for(Session, "before_commit", insert=True)
def _replace_token(session: Session) -> None:
    if _orm_changes(session):  # pending: flushed by the commit after this hook
        session.flush()
    if not session.info.pop(_CHANGED, None):
        return
    token = (new_token(),)
    if audit.run_with_chain_lock(session, _REPLACE_SQL.format(mark="%s"), token):
        return
    # Straight to the driver: the ORM's statement handling cost more than the statement.
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    connection.exec_driver_sql(_REPLACE_SQL.format(mark=mark), token)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
