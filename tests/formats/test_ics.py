"""The .ics attached to reminders: valid iCalendar, the right times in the site's zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from tracker.formats.ics import appointment_ics

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 3, 26, 6, 0, tzinfo=UTC)


def _event(**changes) -> icalendar.Event:
    values = {
        "uid": "infusion-41@hospital.example",
        "sequence": 0,
        "day": date(2026, 3, 30),
        "start_time": time(9, 30),
        "minutes": 200,
        "days": 1,
        "zone": LONDON,
        "summary": "Infusion appointment",
        "location": "Northside Infusion Suite, Chair 2",
        "description": "To change it, call 0161 555 0100; thank you.",
        "stamp": STAMP,
    } | changes
    text = appointment_ics(**values)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return event


def test_timed_course_starts_at_the_local_wall_clock_time_after_the_clocks_change():
    # 30 March 2026 is the day after Britain moves to summer time: 09:30 BST is 08:30 UTC.
    event = _event()
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2026, 3, 30, 9, 30, tzinfo=LONDON)
    assert start.astimezone(UTC) == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    assert end - start == timedelta(minutes=200)
    assert str(event["UID"]) == "infusion-41@hospital.example"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]) == "Infusion appointment"
    assert str(event["LOCATION"]) == "Northside Infusion Suite, Chair 2"
    assert str(event["DESCRIPTION"]) == "To change it, call 0161 555 0100; thank you."


def test_course_without_a_time_is_an_all_day_event_over_its_days():
    event = _event(start_time=None, days=2)
    assert event.decoded("DTSTART") == date(2026, 3, 30)
    assert event.decoded("DTEND") == date(2026, 4, 1)
    assert "RRULE" not in event


def test_timed_course_of_several_days_repeats_daily():
    event = _event(days=3, sequence=2)
    assert dict(event["RRULE"]) == {"FREQ": ["DAILY"], "COUNT": [3]}
    assert event.decoded("SEQUENCE") == 2


def test_long_and_non_ascii_text_is_folded_and_comes_back_whole():
    location = (
        "Unité de perfusion de jour, Bâtiment Nord, 3e étage, fauteuil 12 — près de la fenêtre"
    )
    assert str(_event(location=location)["LOCATION"]) == location
