"""Which chairs are free when: the booking page's view of the infusion suite."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlmodel import Session, select

from tracker.formats.display import date_text
from tracker.rules.chairs import chair_span, spans_clash
from tracker.rules.opening import OpeningCalendar, earliest_start_minute
from tracker.rules.vocabulary import CourseStatus
from tracker.services.infusions import chairs
from tracker.services.opening import opening_calendar
from tracker.store.ids import stored_id
from tracker.store.models import Chair, Infusion, Patient

SLOT_STEP_MINUTES = 30
# How far past the window the first free day is looked for when none is free inside it.
AFTER_WINDOW_DAYS = 28


@dataclass(frozen=True)
class Booking:
    """A course holding a chair for some minutes of a day."""

    infusion_id: int
    patient_name: str
    begin: int
    end: int


@dataclass
class ChairDay:
    """One chair on one day: its bookings and the first start that fits the course.

    `closed` says why no course can start that day (the suite is shut on it or on a later
    day of the course); `first_free` is then None.
    """

    chair: Chair
    day: date
    bookings: list[Booking]
    first_free: time | None
    closed: str | None = None


class SuggestionKind(StrEnum):
    """What the suggested days are, so the page labels them truthfully."""

    INSIDE_WINDOW = "inside_window"
    AFTER_WINDOW = "after_window"
    NO_WINDOW = "no_window"


@dataclass(frozen=True)
class Suggestions:
    """Free chairs to offer, one per day, and what those days are."""

    kind: SuggestionKind
    offers: list[ChairDay]


def first_free_start(
    taken: list[tuple[int, int]],
    *,
    minutes: int,
    opens: int,
    closes: int,
    step: int = SLOT_STEP_MINUTES,
) -> int | None:
    """The earliest start (minutes after midnight) on the step grid that fits between bookings."""
    for begin in range(opens, closes - minutes + 1, step):
        end = begin + minutes
        if not any(spans_clash((begin, end), held) for held in taken):
            return begin
    return None


def chair_days(
    session: Session,
    *,
    first: date,
    last: date,
    minutes: int,
    course_days: int = 1,
    calendar: OpeningCalendar | None = None,
    now: datetime | None = None,
) -> list[ChairDay]:
    """Every active chair on every day from `first` to `last`, with free starts for a course.

    A course given over `course_days` days keeps its chair and start time on each of them,
    so a start is free only if it fits on every one of those days, inside the suite's hours
    on each, and (on today, given `now` in the site's time zone) not before now.
    """
    run_last = last + timedelta(days=course_days - 1)
    if calendar is None:
        calendar = opening_calendar(session, first=first, last=run_last)
    active = chairs(session)
    rows = session.exec(
        select(Infusion, Patient.family_name, Patient.given_name)
        .join(Patient, Patient.id == Infusion.patient_id)
        .where(
            Infusion.status.in_((CourseStatus.BOOKED, CourseStatus.GIVEN)),
            Infusion.chair_id.is_not(None),
            Infusion.scheduled_on >= first - timedelta(days=4),
            Infusion.scheduled_on <= run_last,
        )
    ).all()
    held: dict[tuple[int | None, date], list[Booking]] = defaultdict(list)
    for infusion, family, given in rows:
        begin, end = chair_span(infusion.start_time, infusion.chair_minutes)
        for i in range(infusion.days):
            held[(infusion.chair_id, infusion.scheduled_on + timedelta(days=i))].append(
                Booking(stored_id(infusion), f"{family}, {given}", begin, end)
            )
    plans = []
    day = first
    while day <= last:
        closed, opens, closes = _course_hours(calendar, day, course_days)
        if closed is None:
            opens = max(opens, earliest_start_minute(day, now, step=SLOT_STEP_MINUTES))
        for chair in active:
            bookings = sorted(held.get((chair.id, day), []), key=lambda b: b.begin)
            start = None
            if closed is None:
                taken = [
                    (b.begin, b.end)
                    for i in range(course_days)
                    for b in held.get((chair.id, day + timedelta(days=i)), [])
                ]
                start = first_free_start(taken, minutes=minutes, opens=opens, closes=closes)
            plans.append(
                ChairDay(
                    chair,
                    day,
                    bookings,
                    None if start is None else time(start // 60, start % 60),
                    closed,
                )
            )
        day += timedelta(days=1)
    return plans


def _course_hours(
    calendar: OpeningCalendar, first: date, course_days: int
) -> tuple[str | None, int, int]:
    """Why a course from `first` cannot be held (None if it can), and the minutes it may
    start from and must end by: the suite's hours on every one of its days."""
    opens, closes = 0, 24 * 60
    for i in range(course_days):
        day = first + timedelta(days=i)
        hours = calendar.hours_on(day)
        if hours is None:
            reason = calendar.closed_because(day) or "closed"
            return (reason if i == 0 else f"{date_text(day)}: {reason}"), 0, 0
        opens, closes = max(opens, hours.opens_minute), min(closes, hours.closes_minute)
    return None, opens, closes


def suggestions(
    plans: list[ChairDay], *, window: tuple[date, date] | None, today: date, limit: int = 6
) -> Suggestions:
    """Free chairs to offer first: days inside the window; when none is free there, the
    first free days after it; with no window, the first free days from today."""
    free = [p for p in plans if p.first_free is not None and p.day >= today]
    kind = SuggestionKind.NO_WINDOW
    if window is not None:
        kind = SuggestionKind.INSIDE_WINDOW
        chosen = [p for p in free if window[0] <= p.day <= window[1]]
        if not chosen:
            kind = SuggestionKind.AFTER_WINDOW
            chosen = [p for p in free if p.day > window[1]]
        free = chosen
    # One suggestion per day (its earliest free chair), so the list spans several days.
    by_day: dict[date, ChairDay] = {}
    for p in sorted(free, key=lambda p: (p.day, p.first_free, p.chair.code)):
        by_day.setdefault(p.day, p)
    return Suggestions(kind, list(by_day.values())[:limit])


def suggested(
    session: Session,
    *,
    window: tuple[date, date] | None,
    now: datetime,
    minutes: int,
    course_days: int = 1,
    limit: int = 6,
) -> Suggestions:
    """The booking page's suggestions, whatever weeks its grid shows: the window's free
    days from now on, else the first free days in the four weeks after it."""
    today = now.date()
    if window is None:
        first, last = today, today + timedelta(days=AFTER_WINDOW_DAYS - 1)
    else:
        first = max(today, window[0])
        last = max(window[1], first - timedelta(days=1)) + timedelta(days=AFTER_WINDOW_DAYS)
    plans = chair_days(
        session, first=first, last=last, minutes=minutes, course_days=course_days, now=now
    )
    return suggestions(plans, window=window, today=today, limit=limit)
