"""The booking page and API keep to the suite's opening hours, closures and the clock."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from tests.builders.api import give, iso, patient_with_regimen
from tests.builders.pages import log_in, post_form
from tracker.services import opening
from tracker.services.actors import Actor

FRIDAY_EVENING = datetime(2026, 12, 4, 19, 10, tzinfo=UTC)
FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)
# Given on Monday 9 November every 28 days: due Monday 7 December, window Fri 4 - Thu 10.
LAST_GIVEN = date(2026, 11, 9)
SUGGESTED = re.compile(
    r'name="scheduled_on" value="(\d{4}-\d\d-\d\d)">\s*'
    r'<input type="hidden" name="start_time" value="(\d\d:\d\d)"'
)


@pytest.fixture
def friday_evening():
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        yield


@pytest.fixture
def pharmacist(api_as, friday_evening):
    return api_as("pharmacist")


def _patient(client, headers, mrn="HOURS-1") -> int:
    pid = patient_with_regimen(client, headers, mrn=mrn, starts_on=LAST_GIVEN - timedelta(days=1))
    give(client, headers, pid, LAST_GIVEN)
    return pid


def test_a_friday_evening_suggests_open_days_inside_the_window_only(client, make_user, pharmacist):
    pid = _patient(client, pharmacist)
    log_in(client, make_user)
    page = client.get(f"/patients/{pid}/book")
    assert page.status_code == 200
    offers = [(date.fromisoformat(d), t) for d, t in SUGGESTED.findall(page.text)]
    assert "Suggested inside the window" in page.text
    days = [d for d, _ in offers]
    # Not 08:00 today (it is evening), not Saturday or Sunday, nothing after Thursday.
    assert days == [MONDAY + timedelta(days=i) for i in range(4)]
    assert all(t == "08:00" for _, t in offers)
    assert "closed on Saturdays" in page.text  # the grid says why the weekend has no chair


def test_a_closed_window_offers_the_first_free_days_after_it_labelled_so(
    client, make_user, pharmacist, session
):
    pid = _patient(client, pharmacist)
    admin = make_user("closing.admin", "admin")
    who = Actor(id=admin.id, username=admin.username, role="admin")
    for i in range(4):  # Monday to Thursday: the rest of the window
        opening.add_closure(
            session,
            actor=who,
            day=MONDAY + timedelta(days=i),
            reason="ward refurbishment",
            today=MONDAY,
        )
    session.flush()
    log_in(client, make_user)
    page = client.get(f"/patients/{pid}/book")
    assert "Suggested inside the window" not in page.text
    assert "First free after the window" in page.text
    days = [date.fromisoformat(d) for d, _ in SUGGESTED.findall(page.text)]
    assert days[0] == date(2026, 12, 11)  # the Friday after the window
    assert all(d.weekday() < 5 and d > date(2026, 12, 10) for d in days)
    assert "closed: ward refurbishment" in page.text


def test_booking_outside_the_hours_or_on_a_closed_day_is_refused(client, pharmacist):
    pid = _patient(client, pharmacist)
    url = f"/api/v1/patients/{pid}/infusions"
    saturday = client.post(
        url,
        headers=pharmacist,
        json={"scheduled_on": "2026-12-05", "start_time": "09:00", "chair": "C1"},
    )
    assert saturday.status_code == 422
    (error,) = saturday.json()["detail"]
    assert error["loc"] == ["body", "scheduled_on"] and "Saturdays" in error["msg"]
    late = client.post(
        url,
        headers=pharmacist,
        json={"scheduled_on": iso(MONDAY), "start_time": "17:00", "chair": "C1"},
    )
    assert late.status_code == 422
    (error,) = late.json()["detail"]
    assert error["loc"] == ["body", "start_time"] and "08:00–18:00" in error["msg"]
    early = client.post(
        url,
        headers=pharmacist,
        json={"scheduled_on": iso(MONDAY), "start_time": "07:30", "chair": "C1"},
    )
    assert early.status_code == 422
    # A two-day course from Friday runs into Saturday.
    weekend = client.post(
        url,
        headers=pharmacist,
        json={"scheduled_on": "2026-12-11", "start_time": "09:00", "chair": "C1", "days": 2},
    )
    assert weekend.status_code == 422 and "12 Dec 2026" in weekend.text
    ok = client.post(
        url,
        headers=pharmacist,
        json={"scheduled_on": iso(MONDAY), "start_time": "09:00", "chair": "C1"},
    )
    assert ok.status_code == 201, ok.text
    # Moving it to Sunday is refused the same way.
    moved = client.post(
        f"/api/v1/infusions/{ok.json()['id']}/reschedule",
        headers=pharmacist,
        json={"scheduled_on": "2026-12-06", "start_time": "09:00", "chair": "C1"},
    )
    assert moved.status_code == 422 and "Sundays" in moved.text


def test_a_public_holiday_of_the_sites_country_closes_the_suite(client, pharmacist, session):
    pid = _patient(client, pharmacist)
    who = Actor(id=None, username="test", role="admin")
    opening.set_opening(
        session,
        actor=who,
        hours=[h and (h.opens, h.closes) for h in opening.weekly_hours(session)],
        holiday_country="GB",
    )
    session.flush()
    christmas = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist,
        json={"scheduled_on": "2026-12-25", "start_time": "09:00", "chair": "C1"},
    )
    assert christmas.status_code == 422 and "Christmas Day" in christmas.text


def test_the_booking_form_names_the_field_and_the_hours(client, make_user, pharmacist):
    pid = _patient(client, pharmacist)
    log_in(client, make_user)
    url = f"/patients/{pid}/book"
    refused = post_form(
        client,
        url,
        url,
        {"scheduled_on": iso(MONDAY), "start_time": "16:30", "chair": "C2", "days": "1"},
    )
    assert refused.status_code == 422
    assert "08:00–18:00" in refused.text and 'value="16:30"' in refused.text
    sunday = post_form(
        client,
        url,
        url,
        {"scheduled_on": "2026-12-06", "start_time": "09:00", "chair": "C2", "days": "1"},
    )
    assert sunday.status_code == 422 and "closed on Sundays" in sunday.text


def test_a_start_time_is_hh_mm_as_the_contract_and_the_document_say(app, client, pharmacist):
    # The contract writes times HH:MM; the document declares that pattern, the server takes
    # nothing else (not 09:00:00, 9:00 or 09:00Z) and answers the same way.
    declared = app.openapi()["components"]["schemas"]["InfusionCreate"]["properties"]
    assert declared["start_time"]["anyOf"][0]["pattern"] == r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    pid = _patient(client, pharmacist)
    url = f"/api/v1/patients/{pid}/infusions"
    for wrong in ("09:00:00", "9:00", "09:00Z", "24:00"):
        refused = client.post(
            url,
            headers=pharmacist,
            json={"scheduled_on": iso(MONDAY), "start_time": wrong, "chair": "C1"},
        )
        assert refused.status_code == 422, wrong
        (error,) = refused.json()["detail"]
        assert error["loc"] == ["body", "start_time"] and "HH:MM" in error["msg"]
    booked = client.post(
        url, headers=pharmacist, json={"scheduled_on": iso(MONDAY), "start_time": "09:00"}
    )
    assert booked.status_code == 201 and booked.json()["start_time"] == "09:00"
    listed = client.get(f"/api/v1/infusions/{booked.json()['id']}", headers=pharmacist)
    assert listed.json()["start_time"] == "09:00"
    hours = client.get("/api/v1/opening-hours", headers=pharmacist).json()
    assert hours["days"][0]["opens"] == "08:00"
