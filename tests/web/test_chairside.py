"""Issue 16, at the chair and at the booking desk: the page forms' gaps, each with its test."""

from datetime import date, timedelta

from sqlmodel import select

from tests.web.helpers import iso, patient_with_regimen
from tests.web.pages_helpers import log_in, post_form
from tracker.store.models import Patient

TODAY = date.today()


def test_new_patient_with_sex_not_recorded_is_saved_with_sex_null(client, make_user, session):
    log_in(client, make_user)
    answer = post_form(client, "/patients/new", "/patients/new", {
        "mrn": "NOSEX-1", "given_name": "Alex", "family_name": "Unstated",
        "birth_date": "1975-03-04", "sex": ""})
    assert answer.status_code == 303, answer.text
    patient = session.exec(select(Patient).where(Patient.mrn == "NOSEX-1")).one()
    assert patient.sex is None


def test_weights_outside_the_life_or_implausible_are_refused_by_api_and_form(
    client, make_user, api_as
):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10),
                               birth_date="1975-06-15")
    url = f"/api/v1/patients/{pid}/weights"
    old = client.post(url, headers=api, json={"measured_on": "1900-01-01", "weight_kg": 70})
    assert old.status_code == 422, old.text
    assert "measured_on" in old.text and "before the birth date 1975-06-15" in old.text
    light = client.post(url, headers=api, json={"measured_on": iso(TODAY), "weight_kg": 12,
                                                "confirm_weight_change": True})
    assert light.status_code == 422 and "at least 25 kg" in light.text
    log_in(client, make_user, "nurse")
    page = f"/patients/{pid}"
    form = post_form(client, page, f"{page}/weights", {
        "measured_on": "1900-01-01", "weight": "70", "weight_unit": "kg"})
    assert form.status_code == 422
    assert 'id="e-measured_on"' in form.text and "before the birth date" in form.text
