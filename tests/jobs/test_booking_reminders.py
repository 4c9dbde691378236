"""The booking path keeps reminders right at once, without waiting for the sweep."""

from datetime import date, timedelta

from sqlmodel import select

from tests.builders.api import iso, patient_with_regimen
from tests.opening_days import open_every_day
from tracker.store.models import OutboxMessage

TODAY = date.today()


def _reminders(session, infusion_id):
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.infusion_id == infusion_id, OutboxMessage.kind == "infusion_reminder"
        )
    ).all()


def test_booking_rescheduling_and_cancelling_keep_one_live_reminder(client, api_as, session):
    open_every_day(session)  # the days ahead may fall on a weekend
    headers = api_as("pharmacist")
    pid = patient_with_regimen(
        client, headers, starts_on=TODAY, email="pat@example.org", reminder_consent=True
    )
    course = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=headers,
        json={"scheduled_on": iso(TODAY + timedelta(days=2)), "start_time": "09:00", "chair": "C1"},
    ).json()
    rows = _reminders(session, course["id"])
    assert [r.status for r in rows] == ["pending"]
    client.post(
        f"/api/v1/infusions/{course['id']}/reschedule",
        headers=headers,
        json={"scheduled_on": iso(TODAY + timedelta(days=3)), "start_time": "10:00", "chair": "C1"},
    )
    session.expire_all()
    rows = sorted(_reminders(session, course["id"]), key=lambda r: r.id)
    assert [r.status for r in rows] == ["withdrawn", "pending"]
    assert iso(TODAY + timedelta(days=3)) in rows[-1].dedup_key
    client.post(
        f"/api/v1/infusions/{course['id']}/cancel",
        headers=headers,
        json={"reason": "patient unwell"},
    )
    session.expire_all()
    assert {r.status for r in _reminders(session, course["id"])} == {"withdrawn"}


def test_no_reminder_without_consent_or_far_ahead(client, api_as, session):
    open_every_day(session)  # booked tomorrow, whatever day that is
    headers = api_as("pharmacist")
    pid = patient_with_regimen(client, headers, starts_on=TODAY, email="pat@example.org")
    near = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=headers,
        json={"scheduled_on": iso(TODAY + timedelta(days=1))},
    ).json()
    assert _reminders(session, near["id"]) == []
    consenting = patient_with_regimen(
        client, headers, mrn="C-2", starts_on=TODAY, email="c2@example.org", reminder_consent=True
    )
    far = client.post(
        f"/api/v1/patients/{consenting}/infusions",
        headers=headers,
        json={"scheduled_on": iso(TODAY + timedelta(days=10))},
    ).json()
    assert _reminders(session, far["id"]) == []


def test_a_home_visits_reminder_names_the_nurse_and_the_window(client, api_as, session, make_user):
    make_user("nina.nurse", "nurse")  # full name "Nina Nurse"
    headers = api_as("pharmacist")
    pid = patient_with_regimen(
        client,
        headers,
        starts_on=TODAY,
        email="pat@example.org",
        reminder_consent=True,
        address_line1="12 Elm Street",
        postcode="AB1 2CD",
    )
    course = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=headers,
        json={
            "scheduled_on": iso(TODAY + timedelta(days=2)),
            "start_time": "09:00",
            "site": "home_nurse",
            "nurse": "nina.nurse",
        },
    ).json()
    (row,) = _reminders(session, course["id"])
    ends = 9 * 60 + course["chair_minutes"] + 30  # planned minutes plus the buffer
    window = f"09:00 to {ends // 60:02d}:{ends % 60:02d}"
    text = " ".join(f"{row.body_text} {row.body_html}".split())
    assert "Nina Nurse" in text and window in text
    assert "12 Elm Street" in str(row.attachments)
