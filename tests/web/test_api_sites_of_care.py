"""Sites of care and home visits through the API (clinical rules 9): a course is given in a
chair, at home by a visiting nurse, or at home by the patient; a nurse, like a chair, never
holds two overlapping courses, and a visit holds its nurse for the course's planned minutes
plus the site's `home_visit_buffer_minutes`."""

from datetime import date, timedelta

import pytest

from tests.builders.api import iso, patient_with_regimen

TODAY = date.today()


def _sunday_after(day: date) -> date:
    return day + timedelta(days=(6 - day.weekday()) % 7 or 7)


SUNDAY = _sunday_after(TODAY + timedelta(days=7))  # the suite is closed on Sundays


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@pytest.fixture
def pharmacist(api_as, make_user):
    make_user("nina.nurse", "nurse")
    make_user("omar.nurse", "nurse")
    return api_as("pharmacist")


def _book(client, headers, pid, day, **body):
    return client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=headers,
        json={"scheduled_on": iso(day)} | body,
    )


def _patients(client, headers, count):
    return [
        patient_with_regimen(client, headers, mrn=f"HOME-{i}", starts_on=TODAY)
        for i in range(count)
    ]


def test_a_course_is_in_a_chair_unless_told_otherwise(client, pharmacist):
    (pid,) = _patients(client, pharmacist, 1)
    day = SUNDAY + timedelta(days=1)  # a Monday
    course = _book(client, pharmacist, pid, day, start_time="09:00", chair="C1")
    assert course.status_code == 201, course.text
    assert course.json() | {"site": "chair", "nurse": None, "visit_address": None} == (
        course.json()
    )
    read = client.get(f"/api/v1/infusions/{course.json()['id']}", headers=pharmacist).json()
    assert (read["site"], read["nurse"], read["chair"]) == ("chair", None, "C1")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"site": "home_nurse"}, "nurse"),  # a home visit needs a nurse
        ({"site": "home_nurse", "nurse": "nina.nurse", "chair": "C1"}, "chair"),
        ({"site": "self", "chair": "C1"}, "chair"),  # the patient's own course has neither
        ({"site": "self", "nurse": "nina.nurse"}, "nurse"),
        ({"site": "chair", "nurse": "nina.nurse"}, "nurse"),  # a chair has no nurse
        ({"site": "home_nurse", "nurse": "pharmacist.user"}, "nurse"),  # not a nurse
        ({"site": "home_nurse", "nurse": "nobody"}, "nurse"),
        ({"site": "chair", "visit_address": "1 Respite Lane"}, "visit_address"),
        ({"site": "clinic"}, "site"),
    ],
)
def test_each_site_holds_its_own_resources(client, pharmacist, body, field):
    (pid,) = _patients(client, pharmacist, 1)
    answer = _book(client, pharmacist, pid, SUNDAY, start_time="09:00", **body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_home_courses_are_not_bound_by_the_suites_hours(client, pharmacist):
    a, b, c = _patients(client, pharmacist, 3)
    closed = _book(client, pharmacist, a, SUNDAY, start_time="19:00", chair="C1")
    assert closed.status_code == 422  # the suite is closed on Sundays
    visit = _book(
        client, pharmacist, a, SUNDAY, start_time="19:00", site="home_nurse", nurse="nina.nurse"
    )
    assert visit.status_code == 201, visit.text
    assert (visit.json()["site"], visit.json()["nurse"]) == ("home_nurse", "nina.nurse")
    own = _book(client, pharmacist, b, SUNDAY, start_time="21:00", site="self")
    assert own.status_code == 201, own.text
    assert (own.json()["chair"], own.json()["nurse"]) == (None, None)
    untimed_self = _book(client, pharmacist, c, SUNDAY, site="self")
    assert untimed_self.status_code == 201


def test_a_nurse_never_holds_two_overlapping_visits_course_minutes_plus_buffer(client, pharmacist):
    a, b, c = _patients(client, pharmacist, 3)
    first = _book(
        client, pharmacist, a, SUNDAY, start_time="08:00", site="home_nurse", nurse="nina.nurse"
    )
    assert first.status_code == 201, first.text
    minutes = first.json()["chair_minutes"]
    assert minutes > 60
    ends = 8 * 60 + minutes + 30  # planned minutes plus the default 30-minute buffer
    clash = _book(
        client,
        pharmacist,
        b,
        SUNDAY,
        start_time=clock(ends - 5),
        site="home_nurse",
        nurse="nina.nurse",
    )
    assert clash.status_code == 409, clash.text
    detail = clash.text
    assert "nina.nurse" in detail and "Nina Nurse" in detail
    assert f"from 08:00 to {clock(ends)}" in detail  # the clashing visit's window
    other_nurse = _book(
        client,
        pharmacist,
        b,
        SUNDAY,
        start_time=clock(ends - 5),
        site="home_nurse",
        nurse="omar.nurse",
    )
    assert other_nurse.status_code == 201
    after = _book(
        client, pharmacist, c, SUNDAY, start_time=clock(ends), site="home_nurse", nurse="nina.nurse"
    )
    assert after.status_code == 201, after.text  # touching windows do not overlap


def test_the_buffer_is_the_site_policys(client, pharmacist, api_as):
    admin = api_as("admin")
    policy = client.get("/api/v1/policy", headers=pharmacist).json()
    assert policy["home_visit_buffer_minutes"] == 30
    refused = client.put("/api/v1/policy", headers=admin, json={"home_visit_buffer_minutes": 241})
    assert refused.status_code == 422 and "home_visit_buffer_minutes" in refused.text
    changed = client.put("/api/v1/policy", headers=admin, json={"home_visit_buffer_minutes": 0})
    assert changed.status_code == 200 and changed.json()["home_visit_buffer_minutes"] == 0
    a, b = _patients(client, pharmacist, 2)
    first = _book(
        client, pharmacist, a, SUNDAY, start_time="08:00", site="home_nurse", nurse="nina.nurse"
    )
    ends = 8 * 60 + first.json()["chair_minutes"]
    right_after = _book(
        client, pharmacist, b, SUNDAY, start_time=clock(ends), site="home_nurse", nurse="nina.nurse"
    )
    assert right_after.status_code == 201, right_after.text


def test_an_untimed_visit_holds_its_nurse_all_day(client, pharmacist):
    a, b = _patients(client, pharmacist, 2)
    assert (
        _book(client, pharmacist, a, SUNDAY, site="home_nurse", nurse="nina.nurse").status_code
        == 201
    )
    clash = _book(
        client, pharmacist, b, SUNDAY, start_time="18:00", site="home_nurse", nurse="nina.nurse"
    )
    assert clash.status_code == 409 and "all day" in clash.text


def test_a_cancelled_visit_frees_its_nurse(client, pharmacist):
    a, b = _patients(client, pharmacist, 2)
    first = _book(
        client, pharmacist, a, SUNDAY, start_time="09:00", site="home_nurse", nurse="nina.nurse"
    ).json()
    cancelled = client.post(
        f"/api/v1/infusions/{first['id']}/cancel", headers=pharmacist, json={"reason": "unwell"}
    )
    assert cancelled.status_code == 200, cancelled.text
    again = _book(
        client, pharmacist, b, SUNDAY, start_time="09:00", site="home_nurse", nurse="nina.nurse"
    )
    assert again.status_code == 201, again.text


def test_moving_a_visit_checks_its_nurse_again(client, pharmacist):
    a, b = _patients(client, pharmacist, 2)
    monday = SUNDAY + timedelta(days=1)
    _book(client, pharmacist, a, SUNDAY, start_time="09:00", site="home_nurse", nurse="nina.nurse")
    moving = _book(
        client, pharmacist, b, monday, start_time="09:00", site="home_nurse", nurse="nina.nurse"
    ).json()
    url = f"/api/v1/infusions/{moving['id']}/reschedule"
    onto_her_visit = client.post(
        url, headers=pharmacist, json={"scheduled_on": iso(SUNDAY), "start_time": "10:00"}
    )
    assert onto_her_visit.status_code == 409 and "nina.nurse" in onto_her_visit.text
    with_omar = client.post(
        url,
        headers=pharmacist,
        json={"scheduled_on": iso(SUNDAY), "start_time": "10:00", "nurse": "omar.nurse"},
    )
    assert with_omar.status_code == 200, with_omar.text
    assert (with_omar.json()["nurse"], with_omar.json()["site"]) == ("omar.nurse", "home_nurse")
    # The visit kept its nurse: moved again without naming one, Omar is checked, not Nina.
    later = client.post(
        url, headers=pharmacist, json={"scheduled_on": iso(SUNDAY), "start_time": "20:30"}
    )
    assert later.status_code == 200 and later.json()["nurse"] == "omar.nurse"
    chair = client.post(url, headers=pharmacist, json={"scheduled_on": iso(monday), "chair": "C1"})
    assert chair.status_code == 422 and "chair" in chair.text


def test_the_home_and_the_visit_address_are_kept(client, pharmacist):
    pid = patient_with_regimen(
        client,
        pharmacist,
        mrn="ADDR-1",
        starts_on=TODAY,
        address_line1="12 Elm Street",
        address_line2="Flat 3",
        postcode="AB1 2CD",
    )
    patient = client.get(f"/api/v1/patients/{pid}", headers=pharmacist).json()
    assert (patient["address_line1"], patient["address_line2"], patient["postcode"]) == (
        "12 Elm Street",
        "Flat 3",
        "AB1 2CD",
    )
    moved = client.patch(
        f"/api/v1/patients/{pid}", headers=pharmacist, json={"postcode": "ZZ9 9ZZ"}
    )
    assert moved.status_code == 200 and moved.json()["postcode"] == "ZZ9 9ZZ"
    at_home = _book(
        client, pharmacist, pid, SUNDAY, start_time="09:00", site="home_nurse", nurse="nina.nurse"
    )
    assert at_home.json()["visit_address"] is None  # the patient's home
    respite = _book(
        client,
        pharmacist,
        pid,
        SUNDAY + timedelta(days=28),
        start_time="09:00",
        site="home_nurse",
        nurse="nina.nurse",
        visit_address="Seaview Respite Home, 4 Shore Road, CD3 4EF",
    )
    assert respite.status_code == 201, respite.text
    assert respite.json()["visit_address"] == "Seaview Respite Home, 4 Shore Road, CD3 4EF"
