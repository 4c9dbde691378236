"""Calendar feeds: valid iCalendar (parsed with icalendar), the least health information,
secret tokens that rotate and revoke, and the same event as the reminder e-mail."""

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
from sqlmodel import select

from tests.builders.pages import csrf_of, log_in
from tests.builders.records import patient_with_history
from tests.builders.settings import mail_settings
from tracker.schemas.treatment import InfusionCreate
from tracker.services import calendar_feeds, infusions, reminders
from tracker.services.actors import SYSTEM
from tracker.store.models import AuditEvent, Chair, OutboxMessage
from tracker.store.models.interop import CalendarFeed

TODAY = date(2026, 3, 1)


def parse(text: str) -> dict[str, icalendar.Event]:
    """The feed's events by UID, after checking the lines are folded to 75 octets."""
    assert text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    assert str(calendar["VERSION"]) == "2.0"
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def feed(session, token, kind="patient", settings=None, today=TODAY) -> str:
    text = calendar_feeds.render_feed(
        session, token=token, kind=kind, today=today, settings=settings or mail_settings()
    )
    assert text is not None
    return text


def test_patient_feed_lists_recent_and_coming_courses_with_no_health_details(session):
    history = patient_with_history(session, today=TODAY)
    token, _ = calendar_feeds.issue_feed(
        session, actor=SYSTEM, kind="patient", subject_id=history.patient_id
    )
    text = feed(session, token)
    events = parse(text)
    uid = "infusion-{}@hospital.example".format
    # The first course was 91 days ago, past the 90-day look-back; the rest are in.
    assert set(events) == {
        uid(i)
        for i in [
            *history.given_ids[1:],
            history.booked_id,
            history.cancelled_id,
            history.missed_id,
        ]
    }
    booked = events[uid(history.booked_id)]
    assert str(booked["SUMMARY"]) == "Infusion appointment"
    assert str(booked["STATUS"]) == "CONFIRMED"
    start = booked.decoded("DTSTART")
    assert start == datetime.combine(
        TODAY + timedelta(days=21), time(9, 30), tzinfo=mail_settings().zone
    )
    assert str(booked["LOCATION"]) == "Northside Infusion Suite, Chair 1"
    assert str(events[uid(history.cancelled_id)]["STATUS"]) == "CANCELLED"
    # A course booked without a time is an all-day event.
    assert events[uid(history.missed_id)].decoded("DTSTART") == TODAY
    for secret in ("MMN", "Lee", "Ann", "INT-1", "Privigen", "70 g", "g/kg", "headache"):
        assert secret not in text


def test_chair_feed_shows_initials_and_mrn_of_that_chair_only(session):
    history = patient_with_history(session, today=TODAY)
    chair = session.exec(select(Chair).where(Chair.code == "C1")).one()
    token, _ = calendar_feeds.issue_feed(session, actor=SYSTEM, kind="chair", subject_id=chair.id)
    events = parse(feed(session, token, kind="chair"))
    assert list(events) == [f"infusion-{history.booked_id}@hospital.example"]
    (event,) = events.values()
    assert str(event["SUMMARY"]) == "A.M.L. MRN INT-1"
    # A chair token is not a patient token, and the other way round.
    assert (
        calendar_feeds.render_feed(
            session, token=token, kind="patient", today=TODAY, settings=mail_settings()
        )
        is None
    )


def test_reminder_email_carries_the_same_event_as_the_feed(session):
    settings = mail_settings()
    history = patient_with_history(session, today=TODAY)
    assert reminders.queue_course_reminder(
        session, infusion_id=history.booked_id, settings=settings
    )
    row = session.exec(
        select(OutboxMessage).where(OutboxMessage.infusion_id == history.booked_id)
    ).one()
    (attachment,) = row.attachments
    (mailed,) = parse_single(attachment["content"])
    token, _ = calendar_feeds.issue_feed(
        session, actor=SYSTEM, kind="patient", subject_id=history.patient_id
    )
    fed = parse(feed(session, token, settings=settings))[str(mailed["UID"])]
    for name in (
        "UID",
        "SEQUENCE",
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "LOCATION",
        "DESCRIPTION",
        "STATUS",
    ):
        assert fed.decoded(name) == mailed.decoded(name), name


def parse_single(text: str) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(text).walk("VEVENT")


def test_a_cancellation_outranks_the_reminder_that_calendars_kept(session):
    settings = mail_settings()
    history = patient_with_history(session, today=TODAY)
    course = infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=history.patient_id,
        today=TODAY,
        data=InfusionCreate(
            scheduled_on=TODAY + timedelta(days=3), start_time=time(11, 0), chair="C4"
        ),
    )
    reminders.queue_course_reminder(session, infusion_id=course.id, settings=settings)
    infusions.cancel_infusion(
        session, actor=SYSTEM, infusion_id=course.id, reason="moved", today=TODAY
    )
    token, _ = calendar_feeds.issue_feed(
        session, actor=SYSTEM, kind="patient", subject_id=history.patient_id
    )
    event = parse(feed(session, token, settings=settings))[f"infusion-{course.id}@hospital.example"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 2  # the mailed event had 0


def _address(html: str) -> str:
    return re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', html).group(1)


def test_pharmacist_issues_rotates_and_revokes_a_patient_feed_over_http(client, make_user, session):
    history = patient_with_history(session, today=date.today())
    session.commit()
    log_in(client, make_user, "pharmacist")
    page = f"/patients/{history.patient_id}/calendar"
    csrf = csrf_of(client.get(page).text)
    issued = client.post(f"{page}/issue", data={"csrf_token": csrf})
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    first = _address(issued.text)
    assert first.startswith("http://127.0.0.1:8000/calendar/patient/")
    path = first.removeprefix("http://127.0.0.1:8000")
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert len(parse(answer.text)) == 6
    # Only the token's SHA-256 is stored; the token is 256 bits of randomness.
    token = path.removeprefix("/calendar/patient/").removesuffix(".ics")
    assert len(token) == 43
    stored = session.exec(select(CalendarFeed)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash

    second = _address(client.post(f"{page}/issue", data={"csrf_token": csrf}).text)
    assert second != first
    assert client.get(path).status_code == 404  # rotated: the old address is dead
    new_path = second.removeprefix("http://127.0.0.1:8000")
    assert client.get(new_path).status_code == 200

    assert client.post(f"{page}/revoke", data={"csrf_token": csrf}).status_code == 200
    assert client.get(new_path).status_code == 404
    assert client.get("/calendar/patient/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/patient/short.ics").status_code == 404
    actions = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("calendar_feed.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["calendar_feed.issue", "calendar_feed.rotate", "calendar_feed.revoke"]


def test_feed_management_needs_the_right_role_and_a_csrf_token(client, make_user, session):
    history = patient_with_history(session, today=date.today())
    session.commit()
    log_in(client, make_user, "nurse")
    page = f"/patients/{history.patient_id}/calendar"
    assert client.get(page).status_code == 403
    client.cookies.clear()
    log_in(client, make_user, "pharmacist")
    assert client.post(f"{page}/issue", data={"csrf_token": "forged"}).status_code == 403
    assert session.exec(select(CalendarFeed)).all() == []
    assert client.get("/chairs/calendars").status_code == 403  # chairs: admin only


def test_admin_issues_a_chair_feed(client, make_user, session):
    patient_with_history(session, today=date.today())
    session.commit()
    log_in(client, make_user, "admin")
    page = client.get("/chairs/calendars")
    chair = session.exec(select(Chair).where(Chair.code == "C1")).one()
    answer = client.post(
        f"/chairs/{chair.id}/calendar/issue", data={"csrf_token": csrf_of(page.text)}
    )
    path = _address(answer.text).removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/calendar/chair/")
    events = parse(client.get(path).text)
    assert [str(e["SUMMARY"]) for e in events.values()] == ["A.M.L. MRN INT-1"]
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "calendar_feed.issue"))
        .one()
        .changes["kind"]
        == "chair"
    )


def test_feed_dtstamp_is_now_in_utc(session):
    history = patient_with_history(session, today=TODAY)
    token, _ = calendar_feeds.issue_feed(
        session, actor=SYSTEM, kind="patient", subject_id=history.patient_id
    )
    stamp = next(iter(parse(feed(session, token)).values())).decoded("DTSTAMP")
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)
