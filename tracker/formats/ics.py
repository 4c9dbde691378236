"""iCalendar (RFC 5545) of infusion courses, written with the `icalendar` package.

One builder for the event, so that the .ics a reminder e-mail carries and the calendar feed
give the same appointment (same UID, times, summary and location): a patient who has both
sees one appointment, not two. Folding, escaping and line endings are `icalendar`'s job.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

# Nothing here names the treatment: the file lands in a calendar that others may see.
PRODID = "-//Hospital appointments//Reminder//EN"
# Calendar apps poll a subscription on their own schedule; this asks for hourly.
REFRESH = timedelta(hours=1)
# A course booked without its length holds the chair this long.
DEFAULT_MINUTES = 240


@dataclass(frozen=True)
class CourseEvent:
    """One course as a calendar event; `cancelled` events tell calendars to drop it."""

    uid: str
    sequence: int
    day: date
    start_time: time | None
    minutes: int | None
    days: int
    summary: str
    location: str
    description: str
    cancelled: bool = False


def appointment_ics(
    *,
    uid: str,
    sequence: int,
    day: date,
    start_time: time | None,
    minutes: int | None,
    days: int,
    zone: ZoneInfo,
    summary: str,
    location: str,
    description: str,
    stamp: datetime,
) -> str:
    """One course as a calendar of one VEVENT, as a reminder e-mail attaches it."""
    event = CourseEvent(
        uid=uid,
        sequence=sequence,
        day=day,
        start_time=start_time,
        minutes=minutes,
        days=days,
        summary=summary,
        location=location,
        description=description,
    )
    calendar = _calendar()
    calendar.add_component(course_vevent(event, zone=zone, stamp=stamp))
    return _as_str(calendar)


def feed_ics(events: Iterable[CourseEvent], *, name: str, zone: ZoneInfo, stamp: datetime) -> str:
    """A whole feed: one VCALENDAR holding every event, as calendar subscriptions expect."""
    calendar = _calendar()
    calendar.add("x-wr-calname", icalendar.vText(name))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    for event in events:
        calendar.add_component(course_vevent(event, zone=zone, stamp=stamp))
    return _as_str(calendar)


def course_vevent(event: CourseEvent, *, zone: ZoneInfo, stamp: datetime) -> icalendar.Event:
    """The VEVENT of a course: timed (as UTC instants) when a start time is booked, else
    all-day over its days."""
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    if event.start_time is None:
        vevent.add("dtstart", event.day)
        vevent.add("dtend", event.day + timedelta(days=max(event.days, 1)))
    else:
        # The wall-clock time in the site's zone, written as a UTC instant: correct across a
        # daylight-saving change and needs no VTIMEZONE block that clients parse differently.
        start = datetime.combine(event.day, event.start_time, tzinfo=zone)
        end = start + timedelta(minutes=event.minutes or DEFAULT_MINUTES)
        vevent.add("dtstart", start.astimezone(UTC))
        vevent.add("dtend", end.astimezone(UTC))
        if event.days > 1:
            vevent.add("rrule", {"freq": "daily", "count": event.days})
    vevent.add("summary", event.summary)
    vevent.add("location", event.location)
    vevent.add("description", event.description)
    # A cancelled course stays in a feed with this status: how a subscribed calendar learns
    # to remove the event it kept from an earlier fetch.
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    return vevent


def _calendar() -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    return calendar


def _as_str(calendar: icalendar.Calendar) -> str:
    # icalendar folds lines at 75 octets and ends each with CRLF, as RFC 5545 asks.
    data: bytes = calendar.to_ical()
    return data.decode()
