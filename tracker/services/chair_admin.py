"""The suite's chairs as an admin manages them: add, rename, retire."""

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.rules.vocabulary import CourseStatus
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, NotFound
from tracker.store.models import Chair, Infusion


def all_chairs(session: Session) -> list[Chair]:
    """Every chair, those in use first, each group by code."""
    return list(session.exec(select(Chair).order_by(Chair.active.desc(), Chair.code)).all())


def get_chair(session: Session, chair_id: int) -> Chair:
    """The chair with this id, or NotFound."""
    chair = session.get(Chair, chair_id)
    if chair is None:
        raise NotFound(f"no chair with id {chair_id}")
    return chair


def add_chair(session: Session, *, actor: Actor, code: str, name: str) -> Chair:
    """A new chair in use (Conflict when the code is taken, even by a retired chair)."""
    taken = session.exec(select(Chair).where(func.lower(Chair.code) == code.lower())).first()
    if taken is not None:
        raise Conflict(
            f"the code {taken.code} is taken by {taken.name}{'' if taken.active else ' (retired)'}",
            field="code",
        )
    chair = Chair(code=code, name=name, active=True)
    session.add(chair)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="chair.create",
        entity="chair",
        entity_id=chair.id,
        changes={"code": code, "name": name},
    )
    return chair


def rename_chair(session: Session, *, actor: Actor, chair_id: int, name: str) -> Chair:
    """Give the chair another name; its code, bookings and calendar feed stay."""
    chair = get_chair(session, chair_id)
    before = chair.name
    chair.name = name
    session.add(chair)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="chair.rename",
        entity="chair",
        entity_id=chair.id,
        changes=audit.diff({"name": before}, {"name": name}),
    )
    return chair


def retire_chair(session: Session, *, actor: Actor, chair_id: int, today: date) -> Chair:
    """Take the chair out of use; refused (Conflict) while courses are booked on it ahead."""
    chair = get_chair(session, chair_id)
    if not chair.active:
        raise Conflict(f"chair {chair.code} is retired already", field="chair")
    ahead = session.exec(
        select(func.count())
        .select_from(Infusion)
        .where(
            Infusion.chair_id == chair.id,
            Infusion.status == CourseStatus.BOOKED,
            Infusion.scheduled_on >= today,
        )
    ).one()
    if ahead:
        raise Conflict(
            f"chair {chair.code} has {ahead} course{'s' if ahead != 1 else ''} "
            "booked from today on: move them to another chair first",
            field="chair",
        )
    chair.active = False
    session.add(chair)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="chair.retire",
        entity="chair",
        entity_id=chair.id,
        changes={"active": [True, False]},
    )
    return chair
