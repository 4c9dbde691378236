"""The issue's four findings against the revised clinical rules, through the public API."""

from datetime import date, timedelta

import pytest

from tests.builders.api import give, iso, score

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


def new_patient(client, headers, **body) -> int:
    body = {
        "mrn": "RT-1",
        "given_name": "Ann",
        "family_name": "Lee",
        "birth_date": "1970-02-03",
        "sex": "female",
        "height_cm": 165,
    } | body
    answer = client.post("/api/v1/patients", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def weigh(client, headers, pid, day, kg, **extra):
    answer = client.post(
        f"/api/v1/patients/{pid}/weights",
        headers=headers,
        json={"measured_on": iso(day), "weight_kg": kg} | extra,
    )
    assert answer.status_code == 201, answer.text


def test_the_dose_is_worked_out_on_the_unrounded_dosing_weight(client, pharmacist):
    pid = new_patient(client, pharmacist)
    weigh(client, pharmacist, pid, TODAY, 99)
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={
            "starts_on": iso(TODAY),
            "dose_g_per_kg": 2.0,
            "interval_days": 28,
            "override_reason": None,
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["weight_basis_used"], body["dosing_weight_kg"], body["dose_g"]) == (
        "adjusted",
        73.75,
        145,
    )


def test_a_weight_recorded_after_the_day_asked_does_not_count_for_it(client, pharmacist):
    pid = new_patient(client, pharmacist)
    weigh(client, pharmacist, pid, TODAY - timedelta(days=300), 70)
    client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={
            "starts_on": iso(TODAY - timedelta(days=290)),
            "dose_g_per_kg": 1.0,
            "interval_days": 28,
        },
    )
    weigh(client, pharmacist, pid, TODAY, 71)
    asked = TODAY - timedelta(days=30)
    earlier = client.get(
        f"/api/v1/patients/{pid}/schedule?on={iso(asked)}", headers=pharmacist
    ).json()
    assert {"code": "weight_stale"} in earlier["flags"]
    now = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert {"code": "weight_stale"} not in now["flags"]


def test_a_post_infusion_score_on_the_course_day_is_no_peak(client, pharmacist):
    # Two cycles whose only post-infusion scores were taken on the course days: no peaks, so
    # no wear-off, however far the troughs fall. Taken the day after, they wear off.
    def patient(mrn, peak_after_days):
        pid = new_patient(client, pharmacist, mrn=mrn, sex="male", height_cm=178)
        first = TODAY - timedelta(days=60)
        weigh(client, pharmacist, pid, first - timedelta(days=1), 70)
        client.post(
            f"/api/v1/patients/{pid}/regimens",
            headers=pharmacist,
            json={"starts_on": iso(first), "dose_g_per_kg": 1.0, "interval_days": 28},
        )
        days = [first, first + timedelta(days=28), first + timedelta(days=56)]
        for k, day in enumerate(days):
            if k:
                score(client, pharmacist, pid, day, 48, "pre_infusion")
            give(client, pharmacist, pid, day)
            if k < 2:
                score(
                    client,
                    pharmacist,
                    pid,
                    day + timedelta(days=peak_after_days),
                    62,
                    "post_infusion",
                )
        return client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()

    same_day = patient("RT-SAME", 0)
    assert all(f["code"] != "waning_response" for f in same_day["flags"])
    next_day = patient("RT-NEXT", 1)
    assert {"code": "waning_response", "patterns": ["end_of_dose"]} in next_day["flags"]


def test_accepting_a_taper_of_a_regimen_above_the_cap_records_it(client, pharmacist):
    # 2.0 g/kg every 14 days (4 g/kg per 28 days) prescribed with an override; steady for
    # over 180 days. The taper to 21 days is still above the cap: accepting it keeps the
    # override reason instead of refusing the action the tracker raised.
    pid = new_patient(client, pharmacist, mrn="RT-CAP", sex="male", height_cm=178)
    first = TODAY - timedelta(days=14 * 15)
    weigh(client, pharmacist, pid, first - timedelta(days=1), 70)
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={
            "starts_on": iso(first),
            "dose_g_per_kg": 2.0,
            "interval_days": 14,
            "override_reason": "refractory MMN, agreed at the neuromuscular MDT",
        },
    )
    assert answer.status_code == 201, answer.text
    days = [first + timedelta(days=14 * k) for k in range(15)]
    for k, day in enumerate(days):
        if k:
            score(client, pharmacist, pid, day, 60, "pre_infusion")
        give(
            client,
            pharmacist,
            pid,
            day,
            dose_g=140,
            lots=[{"lot_number": "P100", "vials": 7, "size_g": 20}],
        )
        if k < len(days) - 1:
            score(client, pharmacist, pid, day + timedelta(days=2), 62, "post_infusion")
    schedule = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    assert schedule["recommendation"]["action"] == "consider_taper"
    assert schedule["recommendation"]["proposed_interval_days"] == 21
    accepted = client.post(
        f"/api/v1/patients/{pid}/recommendation/accept", headers=pharmacist, json={}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["interval_days"] == 21
    assert accepted.json()["override_reason"] == ("refractory MMN, agreed at the neuromuscular MDT")
