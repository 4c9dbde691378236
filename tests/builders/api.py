"""Data made over the JSON API, with a test client and a bearer token."""

from datetime import date, timedelta


def iso(day: date) -> str:
    return day.isoformat()


def patient_with_regimen(
    client,
    headers,
    *,
    mrn="MRN-9",
    starts_on: date,
    weight_kg=70.0,
    dose_g_per_kg=1.0,
    interval_days=28,
    **patient,
) -> int:
    """A patient with a weight and a regimen; the patient's id."""
    body = {
        "mrn": mrn,
        "given_name": "Ann",
        "family_name": "Lee",
        "birth_date": "1965-02-03",
        "sex": "male",
        "height_cm": 178,
    } | patient
    answer = client.post("/api/v1/patients", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    pid = answer.json()["id"]
    assert (
        client.post(
            f"/api/v1/patients/{pid}/weights",
            headers=headers,
            json={
                "measured_on": iso(min(starts_on, date.today()) - timedelta(days=1)),
                "weight_kg": weight_kg,
            },
        ).status_code
        == 201
    )
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=headers,
        json={
            "starts_on": iso(starts_on),
            "dose_g_per_kg": dose_g_per_kg,
            "interval_days": interval_days,
            "product_code": "privigen",
            "reason": "maintenance",
        },
    )
    assert answer.status_code == 201, answer.text
    return pid


def give(client, headers, pid, day: date, dose_g=70, lots=None) -> dict:
    answer = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=headers,
        json={
            "scheduled_on": iso(day),
            "status": "given",
            "dose_g": dose_g,
            "lots": lots or [{"lot_number": "P100", "vials": 2, "size_g": 40}],
            "confirm_lot_total": True,
        },
    )  # a course as it was given: vials opened, some left
    assert answer.status_code == 201, answer.text
    return answer.json()


def score(client, headers, pid, day: date, value, timing, measure="grip_vigorimeter", side="right"):
    answer = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=headers,
        json={
            "taken_on": iso(day),
            "measure": measure,
            "side": side,
            "value": value,
            "timing": timing,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()
