"""The clinical JSON API: patients, weights, regimens and their dose calculation."""

from datetime import date, timedelta

import pytest

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


def new_patient(client, headers, **overrides) -> dict:
    body = {
        "mrn": "MRN-1",
        "given_name": "Ada",
        "family_name": "Byron",
        "birth_date": "1970-05-01",
        "sex": "female",
        "height_cm": 160,
        "email": "ada@example.org",
        "reminder_consent": True,
    } | overrides
    answer = client.post("/api/v1/patients", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_create_read_update_patient(client, pharmacist):
    patient = new_patient(client, pharmacist)
    assert patient["id"] > 0 and patient["diagnosis"] == "MMN" and patient["status"] == "active"
    again = client.get(f"/api/v1/patients/{patient['id']}", headers=pharmacist).json()
    assert again["mrn"] == "MRN-1"
    changed = client.patch(
        f"/api/v1/patients/{patient['id']}", json={"status": "on_hold"}, headers=pharmacist
    )
    assert changed.status_code == 200 and changed.json()["status"] == "on_hold"


def test_duplicate_mrn_is_a_conflict(client, pharmacist):
    new_patient(client, pharmacist)
    answer = client.post(
        "/api/v1/patients",
        headers=pharmacist,
        json={
            "mrn": "MRN-1",
            "given_name": "X",
            "family_name": "Y",
            "birth_date": "1980-01-01",
            "sex": None,
        },
    )
    assert answer.status_code == 409


@pytest.mark.parametrize(
    "field,value",
    [
        ("birth_date", "2999-01-01"),
        ("sex", "other"),
        ("height_cm", 5),
        ("email", "nope"),
        ("mrn", ""),
        ("given_name", ""),
        ("colour", "blue"),
    ],
)
def test_bad_patient_input_names_the_field(client, pharmacist, field, value):
    body = {
        "mrn": "M-2",
        "given_name": "A",
        "family_name": "B",
        "birth_date": "1970-01-01",
        "sex": "male",
        field: value,
    }
    answer = client.post("/api/v1/patients", json=body, headers=pharmacist)
    assert answer.status_code == 422
    assert any(field in str(e["loc"]) or field in e["msg"] for e in answer.json()["detail"])
    assert client.get("/api/v1/patients", headers=pharmacist).json() == []


def test_unknown_patient_is_404(client, pharmacist):
    assert client.get("/api/v1/patients/999999", headers=pharmacist).status_code == 404


@pytest.mark.parametrize(
    "sex,height,weight,g_per_kg,basis,dosing_kg,dose_g",
    [
        ("female", 160, 95, 1.0, "adjusted", 69.43, 70),
        ("male", 180, 80, 1.0, "actual", 80, 80),
        ("male", 175, 120, 2.0, "adjusted", 90.28, 180),
        ("female", 150, 90, 1.0, "actual", 90, 90),
    ],
)
def test_regimen_answer_carries_the_worked_dose_examples(
    client, pharmacist, sex, height, weight, g_per_kg, basis, dosing_kg, dose_g
):
    patient = new_patient(client, pharmacist, sex=sex, height_cm=height)
    pid = patient["id"]
    assert (
        client.post(
            f"/api/v1/patients/{pid}/weights",
            headers=pharmacist,
            json={"measured_on": TODAY.isoformat(), "weight_kg": weight},
        ).status_code
        == 201
    )
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={
            "starts_on": TODAY.isoformat(),
            "dose_g_per_kg": g_per_kg,
            "interval_days": 28,
            "product_code": "privigen",
            "reason": "maintenance",
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["dosing_weight_kg"] == pytest.approx(dosing_kg, abs=0.005)
    assert body["weight_basis_used"] == basis
    assert body["dose_g"] == dose_g
    assert body["intensity_g_per_kg_28d"] == pytest.approx(g_per_kg)
    assert sum(v["size_g"] * v["count"] for v in body["vials"]) >= dose_g


def test_regimen_above_cap_or_outside_bounds_needs_an_override(client, pharmacist):
    pid = new_patient(client, pharmacist)["id"]
    client.post(
        f"/api/v1/patients/{pid}/weights",
        headers=pharmacist,
        json={"measured_on": TODAY.isoformat(), "weight_kg": 70},
    )
    base = {"starts_on": TODAY.isoformat(), "product_code": "gammagard"}
    over = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json=base | {"dose_g_per_kg": 2.0, "interval_days": 21},
    )
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"] == ["body", "dose_g_per_kg"]
    short = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json=base | {"dose_g_per_kg": 0.4, "interval_days": 7},
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["loc"] == ["body", "interval_days"]
    assert client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json() == []
    allowed = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json=base
        | {
            "dose_g_per_kg": 2.0,
            "interval_days": 21,
            "override_reason": "neurologist: refractory, documented 2026-01",
        },
    )
    assert allowed.status_code == 201
    assert allowed.json()["intensity_g_per_kg_28d"] == pytest.approx(2.667, abs=0.001)


def test_regimen_without_a_weight_is_refused(client, pharmacist):
    pid = new_patient(client, pharmacist)["id"]
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={"starts_on": TODAY.isoformat(), "dose_g_per_kg": 1, "interval_days": 28},
    )
    assert answer.status_code == 422
    assert "weight" in answer.json()["detail"][0]["msg"]


def test_patient_interval_bounds_apply_to_regimens(client, pharmacist):
    pid = new_patient(client, pharmacist, min_interval_days=21, max_interval_days=35)["id"]
    client.post(
        f"/api/v1/patients/{pid}/weights",
        headers=pharmacist,
        json={"measured_on": TODAY.isoformat(), "weight_kg": 70},
    )
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={"starts_on": TODAY.isoformat(), "dose_g_per_kg": 1, "interval_days": 14},
    )
    assert answer.status_code == 422
    assert "21" in answer.json()["detail"][0]["msg"]


def test_nurse_records_weights_but_cannot_write_regimens(client, api_as, pharmacist):
    pid = new_patient(client, pharmacist)["id"]
    nurse = api_as("nurse")
    assert (
        client.post(
            f"/api/v1/patients/{pid}/weights",
            headers=nurse,
            json={"measured_on": (TODAY - timedelta(days=1)).isoformat(), "weight_kg": 71},
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/patients/{pid}/regimens",
            headers=nurse,
            json={"starts_on": TODAY.isoformat(), "dose_g_per_kg": 1, "interval_days": 28},
        ).status_code
        == 403
    )
    viewer = api_as("viewer")
    assert (
        client.post(
            f"/api/v1/patients/{pid}/weights",
            headers=viewer,
            json={"measured_on": TODAY.isoformat(), "weight_kg": 71},
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/patients/{pid}", headers=viewer).status_code == 200


@pytest.mark.parametrize("typed", ["bad65252", "BAD65252.", " Bad-65252 "])
def test_an_mrn_differing_only_in_case_or_punctuation_is_a_conflict_naming_mrn(
    client, pharmacist, typed
):
    first = new_patient(client, pharmacist, mrn="BAD65252")
    body = {"given_name": "X", "family_name": "Y", "birth_date": "1980-01-01", "sex": None}
    answer = client.post("/api/v1/patients", headers=pharmacist, json={**body, "mrn": typed})
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"]["field"] == "mrn"
    other = new_patient(client, pharmacist, mrn="OTHER-1", given_name="Z")
    changed = client.patch(
        f"/api/v1/patients/{other['id']}", json={"mrn": typed}, headers=pharmacist
    )
    assert changed.status_code == 409 and changed.json()["detail"]["field"] == "mrn"
    # The patient's own MRN retyped is no conflict.
    same = client.patch(
        f"/api/v1/patients/{first['id']}", json={"mrn": "bad65252"}, headers=pharmacist
    )
    assert same.status_code == 200, same.text


def test_a_likely_duplicate_is_named_in_the_answer(client, pharmacist):
    first = new_patient(client, pharmacist, mrn="MRN-1")
    assert first["possible_duplicates"] == []
    second = new_patient(
        client, pharmacist, mrn="MRN-2", given_name="ada", family_name="BYRON", email=None
    )
    assert second["possible_duplicates"] == [first["id"]]
    elsewhere = new_patient(client, pharmacist, mrn="MRN-3", birth_date="1971-05-01")
    assert elsewhere["possible_duplicates"] == []
