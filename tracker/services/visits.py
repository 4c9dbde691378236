"""Home visits (clinical rules 9): the nurses a visit may hold, and holding one.

A nurse is a resource like a chair: booking a visit locks the nurse's row first, so two
bookings of one nurse are checked one after the other, and a visit that overlaps another of
the same nurse (the course's planned minutes plus `home_visit_buffer_minutes`) is refused.
"""

from datetime import date, time, timedelta

from sqlmodel import Session, select

from tracker.formats.display import date_text
from tracker.rules.chairs import course_days, spans_clash
from tracker.rules.visits import SiteError, check_site_resources, clock, visit_span
from tracker.rules.vocabulary import CourseStatus
from tracker.services.errors import Conflict, Invalid
from tracker.store.models import Infusion, StaffUser

NURSE_ROLE = "nurse"


def nurses(session: Session) -> list[StaffUser]:
    """The active staff with the nurse role, by username: the nurses a visit may hold."""
    return list(
        session.exec(
            select(StaffUser)
            .where(StaffUser.role == NURSE_ROLE, StaffUser.is_active)
            .order_by(StaffUser.username)
        ).all()
    )


def nurse_by_username(session: Session, username: str | None) -> StaffUser | None:
    """The active nurse with this username (None for None), or Invalid naming `nurse`."""
    if username is None:
        return None
    nurse = session.exec(
        select(StaffUser).where(
            StaffUser.username == username.lower(),
            StaffUser.role == NURSE_ROLE,
            StaffUser.is_active,
        )
    ).first()
    if nurse is None:
        raise Invalid(f"{username!r} is not an active nurse", field="nurse")
    return nurse


def check_site(
    site: str, *, chair: str | None, nurse: str | None, visit_address: str | None = None
) -> None:
    """The rules' check of a course's resources for its site, as Invalid naming the field."""
    try:
        check_site_resources(site, chair=chair, nurse=nurse)
    except SiteError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    if visit_address and site == "chair":
        raise Invalid("a course in the centre has no visit address", field="visit_address")


def nurse_label(nurse: StaffUser) -> str:
    """A nurse as a message names them: the full name and the username."""
    return f"{nurse.full_name} ({nurse.username})" if nurse.full_name else nurse.username


def claim_nurse(
    session: Session,
    *,
    nurse: StaffUser,
    first_day: date,
    days: int,
    start: time | None,
    minutes: int,
    buffer_minutes: int,
    ignore_id: int | None = None,
) -> None:
    """Hold the nurse for these days and hours, or raise Conflict naming the nurse and the
    visit they are already on."""
    # FOR NO KEY UPDATE on the nurse's row (PostgreSQL; SQLite requests write one at a time):
    # two bookings of one nurse queue, while rows that merely refer to the nurse do not.
    session.exec(
        select(StaffUser.id).where(StaffUser.id == nurse.id).with_for_update(key_share=True)
    ).one()
    wanted_days = course_days(first_day, days)
    span = visit_span(start, minutes, buffer_minutes)
    others = session.exec(
        select(Infusion).where(
            Infusion.nurse_id == nurse.id,
            Infusion.status.in_((CourseStatus.BOOKED, CourseStatus.GIVEN)),
            Infusion.scheduled_on >= first_day - timedelta(days=4),
            Infusion.scheduled_on <= first_day + timedelta(days=days),
        )
    ).all()
    for other in others:
        shared = course_days(other.scheduled_on, other.days) & wanted_days
        if other.id == ignore_id or not shared:
            continue
        held = visit_span(other.start_time, other.chair_minutes, buffer_minutes)
        if spans_clash(span, held):
            when = (
                f"from {clock(held[0])} to {clock(held[1])}"
                if other.start_time is not None
                else "all day"
            )
            raise Conflict(
                f"nurse {nurse_label(nurse)} is taken on {date_text(min(shared))} {when}",
                field="nurse",
            )
