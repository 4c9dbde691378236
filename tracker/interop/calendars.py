"""Calendar feeds (.ics) of infusion courses, built on the reminder e-mail's own event.

Every event comes from `tracker.mail.ics.appointment_ics`, the builder of the .ics that the
patient reminder e-mails carry, with the same UID, times, summary and location: a patient who
both subscribes to the feed and opens a reminder sees one appointment, not two.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from tracker.mail.ics import PRODID, appointment_ics
from tracker.settings import Settings

# The least health information that does the job: no diagnosis, no dose, no product.
PATIENT_SUMMARY = "Infusion appointment"
PATIENT_FEED_NAME = "Appointments"
# Calendar apps poll a subscription on their own schedule; this asks for hourly.
REFRESH = "PT1H"


@dataclass(frozen=True)
class CourseEvent:
    """One course as a calendar event; `cancelled` events tell calendars to drop it."""

    infusion_id: int
    sequence: int
    day: date
    start_time: time | None
    minutes: int | None
    days: int
    summary: str
    location: str
    description: str
    cancelled: bool = False


def course_uid(infusion_id: int, settings: Settings) -> str:
    """The event's UID: the same in the feed and in every reminder of the course."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "ivig-tracker.invalid"
    return f"infusion-{infusion_id}@{domain}"


def course_location(settings: Settings, chair_name: str | None) -> str:
    """Where the course is: the site, and the chair when one is booked."""
    return f"{settings.site_name}, {chair_name}" if chair_name else settings.site_name


def how_to_change(settings: Settings) -> str:
    """The event's description for patients: whom to call to change it."""
    if settings.pharmacy_phone:
        return f"To change it, call {settings.pharmacy_phone}."
    return f"To change it, contact {settings.site_name}."


def patient_event(
    *, infusion_id: int, sequence: int, day: date, start_time: time | None,
    minutes: int | None, days: int, chair_name: str | None, cancelled: bool,
    settings: Settings,
) -> CourseEvent:
    """A course as the patient's own calendar shows it (and as the reminder e-mail does)."""
    return CourseEvent(
        infusion_id=infusion_id, sequence=sequence, day=day, start_time=start_time,
        minutes=minutes, days=days, summary=PATIENT_SUMMARY,
        location=course_location(settings, chair_name), description=how_to_change(settings),
        cancelled=cancelled,
    )


def chair_event(
    *, infusion_id: int, sequence: int, day: date, start_time: time | None,
    minutes: int | None, days: int, chair_name: str, initials: str, mrn: str,
    cancelled: bool, settings: Settings,
) -> CourseEvent:
    """A course as the staff's chair calendar shows it: the patient's initials and MRN."""
    length = f" (day 1 of {days})" if days > 1 else ""
    return CourseEvent(
        infusion_id=infusion_id, sequence=sequence, day=day, start_time=start_time,
        minutes=minutes, days=days, summary=f"{initials} MRN {mrn}{length}",
        location=course_location(settings, chair_name),
        description="Course details are in the tracker.", cancelled=cancelled,
    )


def initials(given_name: str, family_name: str) -> str:
    """"Mary Ann", "Lee" -> "M.A.L."."""
    parts = f"{given_name} {family_name}".split()
    return "".join(f"{p[0].upper()}." for p in parts if p)


def feed_ics(
    events: Iterable[CourseEvent], *, name: str, zone: ZoneInfo, stamp: datetime,
    settings: Settings,
) -> str:
    """A whole feed: one VCALENDAR holding every event, as calendar subscriptions expect."""
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _fold(f"X-WR-CALNAME:{_text(name)}"),
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
    ]
    body = [_vevent(event, zone=zone, stamp=stamp, settings=settings) for event in events]
    return "".join(line + "\r\n" for line in head) + "".join(body) + "END:VCALENDAR\r\n"


def _vevent(event: CourseEvent, *, zone: ZoneInfo, stamp: datetime, settings: Settings) -> str:
    text = appointment_ics(
        uid=course_uid(event.infusion_id, settings), sequence=event.sequence, day=event.day,
        start_time=event.start_time, minutes=event.minutes, days=event.days, zone=zone,
        summary=event.summary, location=event.location, description=event.description,
        stamp=stamp,
    )
    # Keep the builder's VEVENT as it is (folded lines included); only a cancelled course
    # changes its status, which is how a subscribed calendar learns to remove it.
    lines = text.split("\r\n")
    begin, end = lines.index("BEGIN:VEVENT"), lines.index("END:VEVENT")
    vevent = lines[begin:end + 1]
    if event.cancelled:
        vevent = ["STATUS:CANCELLED" if line == "STATUS:CONFIRMED" else line
                  for line in vevent]
    return "".join(line + "\r\n" for line in vevent)


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _fold(line: str) -> str:
    # At most 75 octets a line, continuation lines starting with a space, never splitting a
    # multi-byte character.
    parts, current, limit = [], "", 75
    for char in line:
        if len((current + char).encode()) > limit:
            parts.append(current)
            current, limit = "", 74
        current += char
    parts.append(current)
    return "\r\n ".join(parts)
