"""When the infusion suite is open: weekly hours, closure days, and whether a course fits.

Pure: the hours, the site's own closures and the public holidays come in as plain values
(the services read the tables and the `holidays` package); nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tracker.rules.wording import date_text

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class DayHours:
    """The suite's hours on a weekday: a course starts at `opens` or later, ends by `closes`."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError(f"opens {self.opens:%H:%M} is not before closes {self.closes:%H:%M}")

    @property
    def opens_minute(self) -> int:
        """Minutes after midnight the suite opens."""
        return self.opens.hour * 60 + self.opens.minute

    @property
    def closes_minute(self) -> int:
        """Minutes after midnight the suite closes."""
        return self.closes.hour * 60 + self.closes.minute

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


# Monday to Friday 08:00-18:00, closed at weekends: what a new site starts with.
DEFAULT_HOURS: tuple[DayHours | None, ...] = (
    *(DayHours(time(8, 0), time(18, 0)) for _ in range(5)),
    None,
    None,
)


@dataclass(frozen=True)
class OpeningCalendar:
    """The weekly hours (Monday first; None = closed) and the closure days with their reasons.

    `closures` holds the site's own closures; `holidays` the public holidays of the site's
    country. Both close the suite all day.
    """

    hours: tuple[DayHours | None, ...] = DEFAULT_HOURS
    closures: Mapping[date, str] = field(default_factory=dict)
    holidays: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise ValueError("hours must give the seven weekdays, Monday first")

    def closed_because(self, day: date) -> str | None:
        """Why the suite is closed all of `day`, or None when it opens that day."""
        if day in self.closures:
            return f"closed: {self.closures[day]}"
        if day in self.holidays:
            return f"public holiday: {self.holidays[day]}"
        if self.hours[day.weekday()] is None:
            return f"closed on {WEEKDAY_NAMES[day.weekday()]}s"
        return None

    def hours_on(self, day: date) -> DayHours | None:
        """The hours the suite is open on `day`, or None when it is closed all day."""
        return None if self.closed_because(day) else self.hours[day.weekday()]

    def is_open(self, day: date, start: time | None = None, minutes: int = 0) -> bool:
        """True when the suite is open on `day` and (if a start is given) from `start` for
        `minutes`: a course must start at opening or later and end by closing."""
        hours = self.hours_on(day)
        if hours is None:
            return False
        if start is None:
            return True
        begin = start.hour * 60 + start.minute
        return hours.opens_minute <= begin and begin + minutes <= hours.closes_minute


@dataclass(frozen=True)
class OpeningProblem:
    """Why a course cannot be held when asked: the field to blame and the words to show."""

    field: str
    message: str


def course_opening_problem(
    calendar: OpeningCalendar,
    *,
    first_day: date,
    days: int,
    start: time | None,
    minutes: int,
) -> OpeningProblem | None:
    """None when the suite is open on every day of the course for its whole hold; else why not.

    A course without a start time must still fall on open days; its hours are not checked.
    """
    for i in range(days):
        day = first_day + timedelta(days=i)
        reason = calendar.closed_because(day)
        if reason is not None:
            return OpeningProblem(
                "scheduled_on", f"the suite is closed on {date_text(day)} ({reason})"
            )
        if start is not None and not calendar.is_open(day, start, minutes):
            hours = calendar.hours[day.weekday()]
            begin = start.hour * 60 + start.minute
            ends = begin + minutes
            return OpeningProblem(
                "start_time",
                f"the suite is open {hours} on {WEEKDAY_NAMES[day.weekday()]}s: a "
                f"{minutes}-minute course from {start:%H:%M} ends at {_clock(ends)}",
            )
    return None


def earliest_start_minute(day: date, now: datetime | None, *, step: int) -> int:
    """The first minute of `day` a booking may start at: midnight, or on today the next
    `step` mark after `now` (a local time of the site), so nothing is offered in the past."""
    if now is None or day > now.date():
        return 0
    if day < now.date():
        return MINUTES_PER_DAY
    minute = now.hour * 60 + now.minute + (1 if now.second or now.microsecond else 0)
    return -(-minute // step) * step


def _clock(minute: int) -> str:
    days, rest = divmod(minute, MINUTES_PER_DAY)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text if not days else f"{text} the next day"
