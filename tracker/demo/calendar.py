"""Clinic days and clock times: weekdays only, local times stored as UTC instants."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)


def days(n: int) -> timedelta:
    """A span of n days."""
    return timedelta(days=n)


def fits(day: date, length: int = 1) -> bool:
    """True when a course of `length` consecutive days starting on `day` avoids the weekend."""
    return day.weekday() + length <= 5


def fit_day(day: date, length: int = 1, *, not_before: date | None = None) -> date:
    """The clinic day nearest to `day` (earlier on a tie) on which the course fits the week."""
    for shift in (0, -1, 1, -2, 2, -3, 3, -4, 4):
        candidate = day + days(shift)
        if (not_before is None or candidate >= not_before) and fits(candidate, length):
            return candidate
    return next_fit(day, length)


def next_fit(day: date, length: int = 1) -> date:
    """The first day on or after `day` on which the course fits the week."""
    while not fits(day, length):
        day += DAY
    return day


def at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of a local clock time on a clinic day."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def at_minutes(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """Like `at`, with the time given in minutes after local midnight (may run past 24 h)."""
    extra, minutes = divmod(minutes, 24 * 60)
    return at(day + days(extra), minutes // 60, minutes % 60, zone)
