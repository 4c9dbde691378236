"""A nurse's week of home visits, booking a visit from it, and the nurse's calendar feed."""

import re
from datetime import date, timedelta

from tests.builders.api import give, iso, patient_with_regimen
from tests.builders.pages import log_in, post_form

TODAY = date.today()
MONDAY = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=14)


def _home_patient(client, headers, mrn="WEEK-1", **extra):
    return patient_with_regimen(
        client,
        headers,
        mrn=mrn,
        starts_on=TODAY - timedelta(days=30),
        given_name="Hana",
        family_name="Homeward",
        address_line1="12 Elm Street",
        postcode="AB1 2CD",
        **extra,
    )


def test_visits_day_by_day_free_time_and_a_feed_with_initials_only(client, api_as, make_user):
    make_user("nina.nurse", "nurse")
    pharmacist = api_as("pharmacist")
    pid = _home_patient(client, pharmacist)
    visit = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist,
        json={
            "scheduled_on": iso(MONDAY + timedelta(days=2)),
            "start_time": "09:00",
            "site": "home_nurse",
            "nurse": "nina.nurse",
        },
    ).json()
    ends = 9 * 60 + visit["chair_minutes"] + 30
    window = f"09:00 to {ends // 60:02d}:{ends % 60:02d}"
    log_in(client, make_user, "pharmacist")
    page = client.get(f"/nurses/week?nurse=nina.nurse&week={iso(MONDAY)}")
    assert page.status_code == 200
    assert window in page.text and "12 Elm Street, AB1 2CD" in page.text
    assert "Homeward" in page.text
    assert f"Free: 08:00 to 09:00, {window[-5:]} to 18:00" in page.text
    issued = post_form(
        client,
        f"/nurses/week?nurse=nina.nurse&week={iso(MONDAY)}",
        "/nurses/nina.nurse/calendar/issue",
        {},
    )
    address = re.search(r"https?://[^<\s]+/calendar/nurse/[^<\s]+\.ics", issued.text).group(0)
    feed = client.get(address[address.index("/calendar/") :])
    assert feed.status_code == 200
    text = feed.text.replace("\r\n ", "")
    assert "SUMMARY:Home visit H.H." in text and "12 Elm Street" in text
    assert "Homeward" not in text and "WEEK-1" not in text  # initials only: no name, no MRN
    assert "DTSTART;TZID" in text or "DTSTART:" in text


def test_a_nurse_reads_her_own_week_only(client, api_as, make_user):
    make_user("omar.nurse", "nurse")
    log_in(client, make_user, "nurse", username="nina.nurse")
    assert client.get("/nurses/week").status_code == 200
    assert "Home visits: Nina Nurse" in client.get("/nurses/week").text
    assert client.get("/nurses/week?nurse=omar.nurse").status_code == 403


def test_booking_a_visit_from_the_week_and_a_clash_refused(client, api_as, make_user):
    make_user("nina.nurse", "nurse")
    pharmacist = api_as("pharmacist")
    a = _home_patient(client, pharmacist, mrn="WEEK-A")
    b = _home_patient(client, pharmacist, mrn="WEEK-B")
    for pid in (a, b):
        give(client, pharmacist, pid, TODAY - timedelta(days=28 - 16))  # due in two weeks
    log_in(client, make_user, "pharmacist")
    url = f"/nurses/week?nurse=nina.nurse&week={iso(MONDAY)}"
    page = client.get(url)
    assert "Due at home this week, not booked" in page.text and "WEEK-A" in page.text
    day = iso(MONDAY + timedelta(days=1))
    booked = post_form(
        client,
        url,
        "/nurses/week/book",
        {
            "patient_id": a,
            "nurse": "nina.nurse",
            "scheduled_on": day,
            "start_time": "09:00",
            "week": iso(MONDAY),
        },
    )
    assert booked.status_code == 303, booked.text
    course = client.get(f"/api/v1/patients/{a}/infusions", headers=pharmacist).json()[-1]
    assert (course["site"], course["nurse"], course["status"]) == (
        "home_nurse",
        "nina.nurse",
        "booked",
    )
    clash = post_form(
        client,
        url,
        "/nurses/week/book",
        {
            "patient_id": b,
            "nurse": "nina.nurse",
            "scheduled_on": day,
            "start_time": "10:00",
            "week": iso(MONDAY),
        },
    )
    assert clash.status_code == 409 and "is taken on" in clash.text
