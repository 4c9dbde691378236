"""Issue 17.3: every implausible input is refused with 422 naming the field, nothing saved."""

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from tests.builders.api import give, iso, patient_with_regimen
from tests.opening_days import weekday_on_or_after
from tracker.store.models import (
    Assessment,
    DiagnosticAssessment,
    Infusion,
    Patient,
    Regimen,
    Review,
    Weight,
)

TODAY = date.today()


def _counts(session):
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Patient, Weight, Regimen, Infusion)
    )


@pytest.fixture
def patient(client, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(
        client, api, starts_on=TODAY - timedelta(days=10), birth_date="1975-06-15"
    )
    return api, pid


CASES = [
    ("weights", {"measured_on": "1960-01-01", "weight_kg": 70}, "measured_on"),
    ("weights", {"measured_on": iso(TODAY), "weight_kg": 7}, "weight_kg"),
    ("weights", {"measured_on": iso(TODAY), "weight_kg": 2.0001}, "weight_kg"),
    (
        "weights",
        {"measured_on": iso(TODAY), "weight_kg": 80, "confirm_weight_change": False},
        "weight_kg",
    ),
    (
        "infusions",
        {
            "scheduled_on": "1900-01-02",
            "status": "given",
            "dose_g": 70,
            "lots": [{"lot_number": "A1", "vials": 7, "size_g": 10}],
        },
        "scheduled_on",
    ),
    (
        "regimens",
        {"starts_on": "1900-01-01", "dose_g_per_kg": 1, "interval_days": 28, "reason": "x"},
        "starts_on",
    ),
    (
        "regimens",
        {"starts_on": "2199-01-01", "dose_g_per_kg": 1, "interval_days": 28, "reason": "x"},
        "starts_on",
    ),
    (
        "regimens",
        {"starts_on": iso(TODAY), "dose_g_per_kg": 0.0001, "interval_days": 28, "reason": "x"},
        "dose_g_per_kg",
    ),
    ("infusions", {"scheduled_on": "2200-01-06"}, "scheduled_on"),
]


@pytest.mark.parametrize(("what", "body", "field"), CASES)
def test_implausible_entries_are_refused(client, session, patient, what, body, field):
    api, pid = patient
    before = _counts(session)
    answer = client.post(f"/api/v1/patients/{pid}/{what}", headers=api, json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert _counts(session) == before


def _book(client, api, pid, **body):
    return client.post(f"/api/v1/patients/{pid}/infusions", headers=api, json=body)


@pytest.mark.parametrize(
    ("start_time", "chair"), [("03:00", None), ("23:59", None), ("03:00", "C1"), ("23:59", "C1")]
)
def test_bookings_outside_the_opening_hours_are_refused_with_or_without_a_chair(
    client, session, patient, start_time, chair
):
    api, pid = patient
    day = weekday_on_or_after(TODAY + timedelta(days=7))
    before = _counts(session)
    body = {"scheduled_on": iso(day), "start_time": start_time} | (
        {"chair": chair} if chair else {}
    )
    answer = _book(client, api, pid, **body)
    assert answer.status_code == 422, answer.text
    assert "start_time" in answer.text or "scheduled_on" in answer.text
    assert _counts(session) == before


def test_a_chairless_booking_on_a_closed_day_is_refused(client, session, patient):
    api, pid = patient
    saturday = TODAY + timedelta(days=(5 - TODAY.weekday()) % 7 + 7)
    answer = _book(client, api, pid, scheduled_on=iso(saturday))
    assert answer.status_code == 422, answer.text
    assert "closed" in answer.json()["detail"][0]["msg"]


def test_two_courses_for_one_patient_on_one_day_are_refused(client, session, patient):
    api, pid = patient
    day = weekday_on_or_after(TODAY + timedelta(days=7))
    first = _book(client, api, pid, scheduled_on=iso(day))
    assert first.status_code == 201, first.text
    before = _counts(session)
    again = _book(client, api, pid, scheduled_on=iso(day))
    assert again.status_code == 422, again.text
    assert "one course a day" in again.text and "scheduled_on" in again.text
    # A three-day course reaching into the booked day is the same clash.
    earlier = _book(client, api, pid, scheduled_on=iso(day - timedelta(days=2)), days=3)
    assert earlier.status_code == 422, earlier.text
    assert _counts(session) == before
    # Moving another booking onto that day is refused too.
    other_day = weekday_on_or_after(day + timedelta(days=7))
    second = _book(client, api, pid, scheduled_on=iso(other_day))
    assert second.status_code == 201, second.text
    moved = client.post(
        f"/api/v1/infusions/{second.json()['id']}/reschedule",
        headers=api,
        json={"scheduled_on": iso(day)},
    )
    assert moved.status_code == 422, moved.text


def _life_counts(session):
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Assessment, Review, DiagnosticAssessment)
    )


@pytest.mark.parametrize(
    ("what", "body", "field"),
    [
        (
            "assessments",
            {"taken_on": "1960-01-01", "measure": "incat", "value": 2, "timing": "clinic"},
            "taken_on",
        ),
        ("reviews", {"reviewed_on": "1960-01-01", "outcome": "continue"}, "reviewed_on"),
        ("diagnosis", {"assessed_on": "1960-01-01"}, "assessed_on"),
    ],
)
def test_a_score_review_or_diagnosis_before_the_birth_date_is_refused(
    client, session, patient, what, body, field
):
    # Born 1975-06-15: each of these was saved (weights, regimens and courses were refused).
    api, pid = patient
    before = _life_counts(session)
    answer = client.post(f"/api/v1/patients/{pid}/{what}", headers=api, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", field]
    assert "before the birth date" in answer.text
    assert _life_counts(session) == before


def test_a_birth_date_moved_after_a_record_or_into_the_future_is_refused(client, session, patient):
    api, pid = patient  # a weight and a regimen from ten days ago
    url = f"/api/v1/patients/{pid}"
    for born, why in (
        (TODAY - timedelta(days=5), "every record must lie within the patient's life"),
        (TODAY + timedelta(days=1), "birth_date is in the future"),
    ):
        answer = client.patch(url, headers=api, json={"birth_date": iso(born)})
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == ["body", "birth_date"]
        assert why in answer.json()["detail"][0]["msg"]
    assert client.get(url, headers=api).json()["birth_date"] == "1975-06-15"
    moved = client.patch(url, headers=api, json={"birth_date": "1975-06-16"})
    assert moved.status_code == 200 and moved.json()["birth_date"] == "1975-06-16"


def test_interval_bounds_out_of_order_name_the_field(client, patient):
    api, pid = patient
    answer = client.patch(
        f"/api/v1/patients/{pid}",
        headers=api,
        json={"min_interval_days": 30, "max_interval_days": 20},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "max_interval_days"]


def test_an_onset_after_the_first_course_given_is_refused(client, session, patient):
    api, pid = patient
    give(client, api, pid, TODAY - timedelta(days=7))
    before = _life_counts(session)
    answer = client.post(
        f"/api/v1/patients/{pid}/diagnosis",
        headers=api,
        json={"assessed_on": iso(TODAY), "symptom_onset_on": iso(TODAY - timedelta(days=3))},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "symptom_onset_on"]
    assert "after the first IVIG course" in answer.text
    assert _life_counts(session) == before
    earlier = client.post(
        f"/api/v1/patients/{pid}/diagnosis",
        headers=api,
        json={"assessed_on": iso(TODAY), "symptom_onset_on": iso(TODAY - timedelta(days=90))},
    )
    assert earlier.status_code == 201, earlier.text
