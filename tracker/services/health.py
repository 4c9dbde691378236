"""Whether the database answers: the health check's one question."""

from sqlalchemy import Engine, text

from tracker.store.engine import session_scope


def database_answers(engine: Engine) -> bool:
    """True when the database answers a trivial query, False on any failure."""
    try:
        with session_scope(engine, write=False) as session:
            session.execute(text("SELECT 1"))
    except Exception:  # a health check reports, it never raises
        return False
    return True
