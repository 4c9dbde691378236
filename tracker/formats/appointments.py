"""What a calendar shows of a course: to the patient the least health information that does
the job, to the staff's chair calendar the patient's initials and MRN.

The reminder e-mail and the patient's feed both use these, so the event they give is the same.
"""

from datetime import date, time
from email.utils import parseaddr
from typing import Protocol

from tracker.formats.ics import CourseEvent

# No diagnosis, no dose, no product.
PATIENT_SUMMARY = "Infusion appointment"
PATIENT_FEED_NAME = "Appointments"


class Site(Protocol):
    """The site as its calendars name it (`tracker.settings.Settings` is one)."""

    site_name: str
    pharmacy_phone: str
    mail_from: str


def course_uid(infusion_id: int, settings: Site) -> str:
    """The event's UID: the same in the feed and in every reminder of the course."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "ivig-tracker.invalid"
    return f"infusion-{infusion_id}@{domain}"


def course_location(settings: Site, chair_name: str | None) -> str:
    """Where the course is: the site, and the chair when one is booked."""
    return f"{settings.site_name}, {chair_name}" if chair_name else settings.site_name


def how_to_change(settings: Site) -> str:
    """The event's description for patients: whom to call to change it."""
    if settings.pharmacy_phone:
        return f"To change it, call {settings.pharmacy_phone}."
    return f"To change it, contact {settings.site_name}."


def patient_event(
    *,
    infusion_id: int,
    sequence: int,
    day: date,
    start_time: time | None,
    minutes: int | None,
    days: int,
    chair_name: str | None,
    cancelled: bool,
    settings: Site,
) -> CourseEvent:
    """A course as the patient's own calendar shows it (and as the reminder e-mail does)."""
    return CourseEvent(
        uid=course_uid(infusion_id, settings),
        sequence=sequence,
        day=day,
        start_time=start_time,
        minutes=minutes,
        days=days,
        summary=PATIENT_SUMMARY,
        location=course_location(settings, chair_name),
        description=how_to_change(settings),
        cancelled=cancelled,
    )


def chair_event(
    *,
    infusion_id: int,
    sequence: int,
    day: date,
    start_time: time | None,
    minutes: int | None,
    days: int,
    chair_name: str,
    initials: str,
    mrn: str,
    cancelled: bool,
    settings: Site,
) -> CourseEvent:
    """A course as the staff's chair calendar shows it: the patient's initials and MRN."""
    length = f" (day 1 of {days})" if days > 1 else ""
    return CourseEvent(
        uid=course_uid(infusion_id, settings),
        sequence=sequence,
        day=day,
        start_time=start_time,
        minutes=minutes,
        days=days,
        summary=f"{initials} MRN {mrn}{length}",
        location=course_location(settings, chair_name),
        description="Course details are in the tracker.",
        cancelled=cancelled,
    )


def visit_event(
    *,
    infusion_id: int,
    sequence: int,
    day: date,
    start_time: time | None,
    minutes: int,
    days: int,
    initials: str,
    address: str,
    cancelled: bool,
    settings: Site,
) -> CourseEvent:
    """A home visit as the nurse's phone calendar shows it: the window (the course and the
    buffer), the address and the patient's initials only (no name, no MRN: a phone's
    calendar is often synchronised to places a record must not go)."""
    length = f" (day 1 of {days})" if days > 1 else ""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "ivig-tracker.invalid"
    return CourseEvent(
        uid=f"visit-{infusion_id}@{domain}",
        sequence=sequence,
        day=day,
        start_time=start_time,
        minutes=minutes,
        days=days,
        summary=f"Home visit {initials}{length}",
        location=address,
        description="Visit details are in the tracker.",
        cancelled=cancelled,
    )


def initials(given_name: str, family_name: str) -> str:
    """ "Mary Ann", "Lee" -> "M.A.L."."""
    parts = f"{given_name} {family_name}".split()
    return "".join(f"{p[0].upper()}." for p in parts if p)
