"""Scores, the schedule, the worklist, and accepting or dismissing a recommendation."""

from datetime import date, timedelta

import pytest

from tests.builders.api import give, iso, patient_with_regimen, score
from tests.opening_days import weekday_on_or_after

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"measure": "grip_strength", "value": 50, "timing": "clinic"}, "measure"),
        ({"measure": "grip_vigorimeter", "value": 50, "timing": "clinic"}, "side"),
        ({"measure": "mrc_sum", "side": "left", "value": 50, "timing": "clinic"}, "side"),
        ({"measure": "incat", "value": 11, "timing": "clinic"}, "value"),
        ({"measure": "onls", "value": -1, "timing": "clinic"}, "value"),
        ({"measure": "rods", "value": 40, "timing": "sometime"}, "timing"),
    ],
)
def test_bad_scores_are_refused_naming_the_field(client, pharmacist, body, field):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY)
    answer = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=pharmacist,
        json={"taken_on": iso(TODAY)} | body,
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == field
    assert client.get(f"/api/v1/patients/{pid}/assessments", headers=pharmacist).json() == []


def test_scores_carry_their_unit(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY)
    row = score(client, pharmacist, pid, TODAY, 62, "clinic")
    assert row["unit"] == "kPa"
    row = score(client, pharmacist, pid, TODAY, 3, "clinic", measure="onls", side=None)
    assert row["unit"] == "points"


def test_schedule_of_a_new_start_and_the_contract_shape(client, pharmacist):
    start = TODAY + timedelta(days=10)
    pid = patient_with_regimen(client, pharmacist, starts_on=start)
    answer = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "patient_id",
        "on",
        "regimen_id",
        "due_on",
        "window_start",
        "window_end",
        "next_booking",
        "flags",
        "recommendation",
    }
    assert body["due_on"] == iso(start)
    assert body["window_start"] == iso(start) and body["window_end"] == iso(start + timedelta(3))
    assert {"code": "needs_booking"} in body["flags"]
    earlier = client.get(
        f"/api/v1/patients/{pid}/schedule?on={iso(TODAY - timedelta(days=30))}", headers=pharmacist
    ).json()
    # A month ago nothing was due yet, and today's weight was not yet recorded: a weight
    # dated after the day asked is ignored (clinical rules 4).
    assert earlier["flags"] == [{"code": "weight_stale"}]


def test_schedule_window_after_a_given_course(client, pharmacist):
    last = TODAY - timedelta(days=20)
    pid = patient_with_regimen(client, pharmacist, starts_on=last - timedelta(days=1))
    give(client, pharmacist, pid, last)
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert body["due_on"] == iso(last + timedelta(days=28))
    assert body["window_start"] == iso(last + timedelta(days=25))
    assert body["window_end"] == iso(last + timedelta(days=31))
    day = weekday_on_or_after(last + timedelta(days=26))  # a day of the window the suite opens
    booked = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist,
        json={"scheduled_on": iso(day), "chair": "C4", "start_time": "08:00"},
    )
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert body["next_booking"] == {"id": booked.json()["id"], "scheduled_on": iso(day)}
    assert "needs_booking" not in [f["code"] for f in body["flags"]]


def _wearing_off_patient(client, headers, mrn="WEAR") -> int:
    """Four courses 28 days apart; right grip 80 kPa after each, 68 before the next."""
    first = TODAY - timedelta(days=90)
    pid = patient_with_regimen(client, headers, mrn=mrn, starts_on=first - timedelta(days=7))
    for k in range(4):
        day = first + timedelta(days=28 * k)
        give(client, headers, pid, day)
        if k:
            score(client, headers, pid, day, 68, "pre_infusion")
        score(client, headers, pid, day + timedelta(days=3), 80, "post_infusion")
    return pid


def test_end_of_dose_wear_off_is_flagged_and_shortening_proposed(client, pharmacist):
    pid = _wearing_off_patient(client, pharmacist)
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert {"code": "waning_response", "patterns": ["end_of_dose"]} in body["flags"]
    rec = body["recommendation"]
    assert rec["action"] == "shorten_interval"
    assert rec["proposed_interval_days"] == 21 and rec["proposed_dose_g_per_kg"] is None
    assert "12" in rec["reason"]  # the 12 kPa fall is named

    listed = client.get("/api/v1/worklist?flag=waning_response", headers=pharmacist).json()
    assert [item["patient_id"] for item in listed["items"]] == [pid]
    assert listed["items"][0]["recommendation"]["action"] == "shorten_interval"


def test_accepting_writes_a_new_regimen_and_starts_afresh(client, pharmacist):
    pid = _wearing_off_patient(client, pharmacist)
    answer = client.post(
        f"/api/v1/patients/{pid}/recommendation/accept", headers=pharmacist, json={}
    )
    assert answer.status_code == 201, answer.text
    regimen = answer.json()
    assert regimen["interval_days"] == 21 and regimen["starts_on"] == iso(TODAY)
    assert regimen["dose_g_per_kg"] == 1.0 and "grip" in regimen["reason"]
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert body["regimen_id"] == regimen["id"]
    assert body["recommendation"] is None
    assert "waning_response" not in [f["code"] for f in body["flags"]]
    assert (
        client.post(
            f"/api/v1/patients/{pid}/recommendation/accept", headers=pharmacist, json={}
        ).status_code
        == 409
    )


def test_dismissing_is_remembered_for_the_regimen(client, pharmacist):
    pid = _wearing_off_patient(client, pharmacist)
    answer = client.post(
        f"/api/v1/patients/{pid}/recommendation/dismiss",
        headers=pharmacist,
        json={"reason": "travelling; review at clinic"},
    )
    assert answer.status_code == 200
    body = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert body["recommendation"] is None
    assert {"code": "waning_response", "patterns": ["end_of_dose"]} in body["flags"]
    assert (
        client.post(
            f"/api/v1/patients/{pid}/recommendation/dismiss",
            headers=pharmacist,
            json={"reason": ""},
        ).status_code
        == 422
    )


def test_worklist_orders_overdue_first_and_pages(client, pharmacist):
    overdue = patient_with_regimen(
        client, pharmacist, mrn="LATE", starts_on=TODAY - timedelta(days=60)
    )
    give(client, pharmacist, overdue, TODAY - timedelta(days=40))
    soon = patient_with_regimen(client, pharmacist, mrn="SOON", starts_on=TODAY + timedelta(5))
    page = client.get("/api/v1/worklist", headers=pharmacist).json()
    assert page["total"] == 2
    assert [i["patient_id"] for i in page["items"]] == [overdue, soon]
    assert "overdue" in [f["code"] for f in page["items"][0]["flags"]]
    one = client.get("/api/v1/worklist?limit=1&offset=1", headers=pharmacist).json()
    assert one["total"] == 2 and [i["patient_id"] for i in one["items"]] == [soon]
    bad = client.get("/api/v1/worklist?flag=sleepy", headers=pharmacist)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "flag"]  # a query parameter, not body
    on_hold = client.patch(
        f"/api/v1/patients/{overdue}", headers=pharmacist, json={"status": "on_hold"}
    )
    assert on_hold.status_code == 200
    page = client.get("/api/v1/worklist", headers=pharmacist).json()
    assert [i["patient_id"] for i in page["items"]] == [soon]


def test_policy_is_read_by_all_and_changed_by_admins(client, api_as, pharmacist):
    policy = client.get("/api/v1/policy", headers=pharmacist).json()
    assert policy["min_interval_days"] == 14 and policy["max_intensity_g_per_kg_28d"] == 2.4
    assert (
        client.put("/api/v1/policy", headers=pharmacist, json={"due_tolerance_days": 4}).status_code
        == 403
    )
    admin = api_as("admin")
    refused = client.put("/api/v1/policy", headers=admin, json={"min_interval_days": 60})
    assert refused.status_code == 422
    assert "min_interval_days" in str(refused.json()["detail"])
    changed = client.put("/api/v1/policy", headers=admin, json={"due_tolerance_days": 4})
    assert changed.status_code == 200 and changed.json()["due_tolerance_days"] == 4
    assert client.get("/api/v1/policy", headers=pharmacist).json()["due_tolerance_days"] == 4
