"""Which site day a daily job last ran for: how the daily sweep runs once per local day."""

from datetime import date

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from tracker.store.models.system import JobRun
from tracker.store.types import utcnow


def begin_day(session: Session, *, name: str, on: date, once: bool) -> bool:
    """Record that job `name` runs for day `on`; with `once`, False if it already did.

    The row is locked (FOR UPDATE; SQLite's write lock) until the caller commits, so two
    runs of the same job for the same day queue and the second sees the first's record.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = JobRun.__table__
    created = session.execute(
        insert(table)
        .values(name=name, last_on=on, last_at=utcnow(), detail="")
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(table.c.name)
    ).first()
    if created is not None:
        return True
    last_on = session.exec(
        select(JobRun.last_on).where(JobRun.name == name).with_for_update()
    ).one()
    if once and last_on >= on:
        return False
    session.execute(
        update(JobRun).where(JobRun.name == name).values(last_on=max(last_on, on), last_at=utcnow())
    )
    return True


def finish(session: Session, *, name: str, detail: str) -> None:
    """Note what the run did (shown on the outbox page)."""
    session.execute(update(JobRun).where(JobRun.name == name).values(detail=detail[:200]))


def last_day(session: Session, *, name: str) -> date | None:
    """The latest site day the job ran for, or None if it never ran."""
    return session.exec(select(JobRun.last_on).where(JobRun.name == name)).first()


def last_run(session: Session, *, name: str) -> JobRun | None:
    """The job's record, if it ever ran."""
    return session.get(JobRun, name)
