"""Booking chairs, recording courses as given, rescheduling and cancelling."""

from datetime import date, timedelta

import pytest

from tests.builders.api import give, iso, patient_with_regimen
from tests.opening_days import open_every_day

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


def test_chairs_of_a_fresh_install(client, pharmacist):
    chairs = client.get("/api/v1/chairs", headers=pharmacist).json()
    assert len(chairs) >= 1 and {"code", "name"} <= set(chairs[0])


def test_book_administer_with_lots(client, pharmacist, session):
    open_every_day(session)  # booked today and given today, whatever day today is
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=1))
    booked = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(TODAY), "start_time": "09:00", "chair": "C1"},
    )
    assert booked.status_code == 201, booked.text
    course = booked.json()
    assert course["status"] == "booked" and course["chair"] == "C1"
    assert course["chair_minutes"] > 60  # 70 g of Privigen at 70 kg takes hours
    given = client.post(
        f"/api/v1/infusions/{course['id']}/administer",
        headers=pharmacist,
        json={
            "dose_g": 70,
            "product_code": "privigen",
            "reactions": "mild headache",
            "lots": [
                {"lot_number": "P4711", "vials": 1, "size_g": 40, "expires_on": "2030-01-01"},
                {"lot_number": "P4712", "vials": 3, "size_g": 10},
            ],
        },
    )
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["status"] == "given" and body["dose_g"] == 70
    assert [lot["lot_number"] for lot in body["lots"]] == ["P4711", "P4712"]
    again = client.post(
        f"/api/v1/infusions/{course['id']}/administer", headers=pharmacist, json={"dose_g": 70}
    )
    assert again.status_code == 409


def test_a_chair_is_never_double_booked(client, pharmacist):
    day = TODAY + timedelta(days=3)
    a = patient_with_regimen(client, pharmacist, mrn="A", starts_on=TODAY)
    b = patient_with_regimen(client, pharmacist, mrn="B", starts_on=TODAY)
    first = client.post(
        f"/api/v1/patients/{a}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(day), "start_time": "09:00", "chair": "C2"},
    )
    assert first.status_code == 201
    overlapping = client.post(
        f"/api/v1/patients/{b}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(day), "start_time": "10:30", "chair": "C2"},
    )
    assert overlapping.status_code == 409
    assert "C2" in overlapping.text
    other_chair = client.post(
        f"/api/v1/patients/{b}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(day), "start_time": "10:30", "chair": "C3"},
    )
    assert other_chair.status_code == 201
    minutes = first.json()["chair_minutes"]
    after = 9 * 60 + minutes
    later = client.post(
        f"/api/v1/patients/{b}/infusions",
        headers=pharmacist,
        json={
            "scheduled_on": iso(day + timedelta(days=1)),
            "chair": "C2",
            "start_time": f"{after // 60:02d}:{after % 60:02d}",
        },
    )
    assert later.status_code == 201


def test_cancel_frees_the_chair_and_reschedule_moves_it(client, pharmacist, session):
    open_every_day(session)  # five and six days ahead may fall on a weekend
    day = TODAY + timedelta(days=5)
    a = patient_with_regimen(client, pharmacist, mrn="A", starts_on=TODAY)
    b = patient_with_regimen(client, pharmacist, mrn="B", starts_on=TODAY)
    first = client.post(
        f"/api/v1/patients/{a}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(day), "start_time": "09:00", "chair": "C1"},
    ).json()
    moved = client.post(
        f"/api/v1/infusions/{first['id']}/reschedule",
        headers=pharmacist,
        json={"scheduled_on": iso(day + timedelta(days=1)), "start_time": "09:00", "chair": "C1"},
    )
    assert moved.status_code == 200 and moved.json()["scheduled_on"] == iso(day + timedelta(1))
    assert (
        client.post(
            f"/api/v1/patients/{b}/infusions",
            headers=pharmacist,
            json={
                "scheduled_on": iso(day + timedelta(days=1)),
                "start_time": "09:00",
                "chair": "C1",
            },
        ).status_code
        == 409
    )
    cancelled = client.post(
        f"/api/v1/infusions/{first['id']}/cancel",
        headers=pharmacist,
        json={"reason": "patient unwell"},
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (
        client.post(
            f"/api/v1/patients/{b}/infusions",
            headers=pharmacist,
            json={
                "scheduled_on": iso(day + timedelta(days=1)),
                "start_time": "09:00",
                "chair": "C1",
            },
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/infusions/{first['id']}/cancel", headers=pharmacist, json={"reason": "again"}
        ).status_code
        == 409
    )


def test_bad_infusion_input_names_the_field_and_saves_nothing(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=30))
    cases = [
        ({"scheduled_on": iso(TODAY), "status": "given"}, "dose_g"),
        ({"scheduled_on": iso(TODAY), "chair": "NOPE"}, "chair"),
        ({"scheduled_on": iso(TODAY - timedelta(days=1))}, "scheduled_on"),
        (
            {
                "scheduled_on": iso(TODAY),
                "status": "given",
                "dose_g": 70,
                "lots": [{"lot_number": "X", "vials": 1, "expires_on": iso(TODAY - timedelta(1))}],
            },
            "expires_on",
        ),
        (
            {
                "scheduled_on": iso(TODAY),
                "status": "given",
                "dose_g": 70,
                "lots": [{"lot_number": "X", "vials": 0}],
            },
            "vials",
        ),
        (
            {
                "scheduled_on": iso(TODAY),
                "status": "given",
                "dose_g": 70,
                "lots": [{"lot_number": "X", "vials": 1, "size_g": 40}],
            },
            "lots",
        ),
    ]
    for body, field in cases:
        answer = client.post(f"/api/v1/patients/{pid}/infusions", headers=pharmacist, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in str(answer.json()["detail"]), (field, answer.text)
    assert client.get(f"/api/v1/patients/{pid}/infusions", headers=pharmacist).json() == []


def test_nurse_records_given_courses_but_does_not_book(client, api_as, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=1))
    nurse = api_as("nurse")
    assert (
        client.post(
            f"/api/v1/patients/{pid}/infusions",
            headers=nurse,
            json={"scheduled_on": iso(TODAY + timedelta(days=2))},
        ).status_code
        == 403
    )
    give(client, nurse, pid, TODAY)


def test_a_booking_keeps_its_planned_dose(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=1))
    booked = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(TODAY + timedelta(days=2)), "dose_g": 140, "days": 2},
    )
    assert booked.status_code == 201, booked.text
    course = booked.json()
    assert (course["planned_dose_g"], course["dose_g"]) == (140, None)
    again = client.get(f"/api/v1/infusions/{course['id']}", headers=pharmacist).json()
    assert again["planned_dose_g"] == 140


@pytest.mark.parametrize(
    "days,dose_g,status",
    [(1, 400, "booked"), (1, 201, "booked"), (1, 250, "given"), (2, 400, "booked")],
)
def test_an_implausible_dose_per_day_is_refused(client, pharmacist, days, dose_g, status):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=30))
    day = TODAY + timedelta(days=2) if status == "booked" else TODAY
    body = {"scheduled_on": iso(day), "dose_g": dose_g, "days": days, "status": status}
    if status == "given":
        body["lots"] = [{"lot_number": "X", "vials": 1}]
    answer = client.post(f"/api/v1/patients/{pid}/infusions", headers=pharmacist, json=body)
    if dose_g / days <= 200:
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"][-1] == "dose_g" and "200 g a day" in error["msg"], error
