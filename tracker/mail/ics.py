"""The calendar invitation attached to a patient's reminder (RFC 5545, no health details)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Nothing here names the treatment: the file lands in a calendar that others may see.
PRODID = "-//Hospital appointments//Reminder//EN"


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
    """One VEVENT: timed (as UTC instants) when a start time is booked, else all-day."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "METHOD:PUBLISH",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(stamp)}",
    ]
    if start_time is None:
        lines += [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=max(days, 1)):%Y%m%d}",
        ]
    else:
        # The wall-clock time in the site's zone, written as a UTC instant: correct across a
        # daylight-saving change and needs no VTIMEZONE block that clients parse differently.
        start = datetime.combine(day, start_time, tzinfo=zone)
        end = start + timedelta(minutes=minutes or 240)
        lines += [f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}"]
        if days > 1:
            lines.append(f"RRULE:FREQ=DAILY;COUNT={days}")
    lines += [
        f"SUMMARY:{_text(summary)}",
        f"LOCATION:{_text(location)}",
        f"DESCRIPTION:{_text(description)}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    # Content lines are at most 75 octets; continuation lines start with one space. Never
    # split inside a multi-byte UTF-8 character.
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > limit:
            parts.append(current.decode())
            current, limit = b"", 74
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)
