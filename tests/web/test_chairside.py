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
