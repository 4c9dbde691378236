"""Home visits (clinical rules 9): the nurses a visit may hold, and holding one.

A nurse is a resource like a chair: booking a visit locks the nurse's row first, so two
bookings of one nurse are checked one after the other, and a visit that overlaps another of
the same nurse (the course's planned minutes plus `home_visit_buffer_minutes`) is refused.
"""

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import Session, select

from tracker.formats.display import date_text
from tracker.rules.chairs import course_days, spans_clash
from tracker.rules.visits import (
    NURSE_DAY,
    SiteError,
    check_site_resources,
    clock,
    free_spans,
    visit_address,
    visit_span,
)
from tracker.rules.vocabulary import CareSite, CourseStatus, PatientStatus
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.store.models import Infusion, Patient, PatientState, StaffUser

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


def get_nurse(session: Session, username: str) -> StaffUser:
    """The active nurse with this username, or NotFound."""
    try:
        nurse = nurse_by_username(session, username)
    except Invalid as exc:
        raise NotFound(exc.message) from exc
    assert nurse is not None
    return nurse


@dataclass(frozen=True)
class Visit:
    """One visit of a nurse's week as the page shows it."""

    infusion: Infusion
    patient: Patient
    address: str
    window: str  # "09:00 to 12:30", or "all day"
    day: date  # the day of the course shown (a course over several days shows on each)


@dataclass(frozen=True)
class NurseDay:
    """A day of a nurse's week: the visits, and the free time between them."""

    day: date
    visits: list[Visit]
    free: list[str]


def nurse_week(
    session: Session, *, nurse: StaffUser, week_start: date, buffer_minutes: int
) -> list[NurseDay]:
    """A nurse's visits day by day for the seven days from `week_start`, with free time."""
    week = [week_start + timedelta(days=i) for i in range(7)]
    rows = session.exec(
        select(Infusion, Patient)
        .join(Patient, Patient.id == Infusion.patient_id)
        .where(
            Infusion.nurse_id == nurse.id,
            Infusion.status.in_((CourseStatus.BOOKED, CourseStatus.GIVEN)),
            Infusion.scheduled_on >= week_start - timedelta(days=4),
            Infusion.scheduled_on <= week[-1],
        )
        .order_by(Infusion.scheduled_on, Infusion.start_time, Infusion.id)
    ).all()
    days = []
    for day in week:
        visits, taken = [], []
        for course, patient in rows:
            if day not in course_days(course.scheduled_on, course.days):
                continue
            span = visit_span(course.start_time, course.chair_minutes, buffer_minutes)
            taken.append(span)
            visits.append(
                Visit(
                    infusion=course,
                    patient=patient,
                    address=visit_address(
                        course.visit_address,
                        patient.address_line1,
                        patient.address_line2,
                        patient.postcode,
                    ),
                    window=(
                        f"{clock(span[0])} to {clock(span[1])}" if course.start_time else "all day"
                    ),
                    day=day,
                )
            )
        free = [
            f"{clock(a)} to {clock(b)}"
            for a, b in free_spans(taken, day_start=NURSE_DAY[0], day_end=NURSE_DAY[1])
        ]
        days.append(NurseDay(day=day, visits=visits, free=free))
    return days


def due_at_home(session: Session, *, week_start: date) -> list[tuple[Patient, PatientState]]:
    """Active patients with a home address on record whose course is due, or whose window is
    open, in the seven days from `week_start`, and who have no course booked."""
    week_end = week_start + timedelta(days=6)
    return [
        (patient, state)
        for patient, state in session.exec(
            select(Patient, PatientState)
            .join(PatientState, PatientState.patient_id == Patient.id)
            .where(
                Patient.status == PatientStatus.ACTIVE,
                Patient.address_line1.is_not(None),
                PatientState.next_booking_id.is_(None),
                PatientState.window_start.is_not(None),
                PatientState.window_start <= week_end,
                PatientState.window_end >= week_start,
            )
            .order_by(PatientState.due_on, Patient.family_name, Patient.id)
        ).all()
    ]


def visits_for_feed(
    session: Session, *, nurse_id: int, since: date
) -> list[tuple[Infusion, Patient]]:
    """A nurse's home visits from `since` (cancelled ones too, so calendars drop them)."""
    return list(
        session.exec(
            select(Infusion, Patient)
            .join(Patient, Patient.id == Infusion.patient_id)
            .where(
                Infusion.nurse_id == nurse_id,
                Infusion.site == CareSite.HOME_NURSE,
                Infusion.scheduled_on >= since,
            )
            .order_by(Infusion.scheduled_on, Infusion.start_time, Infusion.id)
        ).all()
    )
