"""Which chairs are free when: the booking page's view of the infusion suite."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import Session, select

from tracker.rules.chairs import chair_span, spans_clash
from tracker.rules.vocabulary import CourseStatus
from tracker.services.infusions import chairs
from tracker.store.ids import stored_id
from tracker.store.models import Chair, Infusion, Patient

SLOT_STEP_MINUTES = 30


@dataclass(frozen=True)
class Booking:
    """A course holding a chair for some minutes of a day."""

    infusion_id: int
    patient_name: str
    begin: int
    end: int


@dataclass
class ChairDay:
    """One chair on one day: its bookings and the first start that fits the course."""

    chair: Chair
    day: date
    bookings: list[Booking]
    first_free: time | None


def first_free_start(
    taken: list[tuple[int, int]], *, minutes: int, opens: int, closes: int,
    step: int = SLOT_STEP_MINUTES,
) -> int | None:
    """The earliest start (minutes after midnight) on the step grid that fits between bookings."""
    for begin in range(opens, closes - minutes + 1, step):
        end = begin + minutes
        if not any(spans_clash((begin, end), held) for held in taken):
            return begin
    return None


def chair_days(
    session: Session, *, first: date, last: date, minutes: int, opens: time, closes: time,
    course_days: int = 1,
) -> list[ChairDay]:
    """Every active chair on every day from `first` to `last`, with free starts for a course.

    A course given over `course_days` days keeps its chair and start time on each of them,
    so a start is free only if it fits on every one of those days.
    """
    active = chairs(session)
    rows = session.exec(
        select(Infusion, Patient.family_name, Patient.given_name)
        .join(Patient, Patient.id == Infusion.patient_id)
        .where(Infusion.status.in_((CourseStatus.BOOKED, CourseStatus.GIVEN)),
               Infusion.chair_id.is_not(None),
               Infusion.scheduled_on >= first - timedelta(days=4),
               Infusion.scheduled_on <= last + timedelta(days=course_days - 1))
    ).all()
    held: dict[tuple[int | None, date], list[Booking]] = defaultdict(list)
    for infusion, family, given in rows:
        begin, end = chair_span(infusion.start_time, infusion.chair_minutes)
        for i in range(infusion.days):
            held[(infusion.chair_id, infusion.scheduled_on + timedelta(days=i))].append(
                Booking(stored_id(infusion), f"{family}, {given}", begin, end))
    open_at = opens.hour * 60 + opens.minute
    close_at = closes.hour * 60 + closes.minute
    plans = []
    day = first
    while day <= last:
        for chair in active:
            bookings = sorted(held.get((chair.id, day), []), key=lambda b: b.begin)
            taken = [(b.begin, b.end) for i in range(course_days)
                     for b in held.get((chair.id, day + timedelta(days=i)), [])]
            start = first_free_start(taken, minutes=minutes, opens=open_at, closes=close_at)
            plans.append(ChairDay(chair, day, bookings,
                                  None if start is None else time(start // 60, start % 60)))
        day += timedelta(days=1)
    return plans


def suggestions(
    plans: list[ChairDay], *, window: tuple[date, date] | None, today: date, limit: int = 6
) -> list[ChairDay]:
    """Free chairs to offer first: days inside the window, nearest the due date's start."""
    free = [p for p in plans if p.first_free is not None and p.day >= today]
    if window is not None:
        inside = [p for p in free if window[0] <= p.day <= window[1]]
        free = inside or free
    # One suggestion per day (its earliest free chair), so the list spans several days.
    by_day: dict[date, ChairDay] = {}
    for p in sorted(free, key=lambda p: (p.day, p.first_free, p.chair.code)):
        by_day.setdefault(p.day, p)
    return list(by_day.values())[:limit]
