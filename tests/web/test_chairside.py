"""Issue 16, at the chair and at the booking desk: the page forms' gaps, each with its test."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import give, iso, patient_with_regimen, score
from tests.builders.pages import log_in, post_form
from tests.opening_days import open_every_day
from tracker.store.models import Infusion, Patient

TODAY = date.today()


@pytest.fixture(autouse=True)
def _open_every_day(session):
    open_every_day(session)  # the chair side books and gives courses today, whatever day it is


def test_new_patient_with_sex_not_recorded_is_saved_with_sex_null(client, make_user, session):
    log_in(client, make_user)
    answer = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {
            "mrn": "NOSEX-1",
            "given_name": "Alex",
            "family_name": "Unstated",
            "birth_date": "1975-03-04",
            "sex": "",
        },
    )
    assert answer.status_code == 303, answer.text
    patient = session.exec(select(Patient).where(Patient.mrn == "NOSEX-1")).one()
    assert patient.sex is None


def test_weights_outside_the_life_or_implausible_are_refused_by_api_and_form(
    client, make_user, api_as
):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(
        client, api, starts_on=TODAY - timedelta(days=10), birth_date="1975-06-15"
    )
    url = f"/api/v1/patients/{pid}/weights"
    old = client.post(url, headers=api, json={"measured_on": "1900-01-01", "weight_kg": 70})
    assert old.status_code == 422, old.text
    assert "measured_on" in old.text and "before the birth date 15 Jun 1975" in old.text
    light = client.post(
        url,
        headers=api,
        json={"measured_on": iso(TODAY), "weight_kg": 12, "confirm_weight_change": True},
    )
    assert light.status_code == 422 and "at least 25 kg" in light.text
    log_in(client, make_user, "nurse")
    page = f"/patients/{pid}"
    form = post_form(
        client,
        page,
        f"{page}/weights",
        {"measured_on": "1900-01-01", "weight": "70", "weight_unit": "kg"},
    )
    assert form.status_code == 422
    assert 'id="e-measured_on"' in form.text and "before the birth date" in form.text


def _booked(client, api, pid, day=TODAY):
    answer = client.post(
        f"/api/v1/patients/{pid}/infusions", headers=api, json={"scheduled_on": iso(day)}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_a_course_given_needs_lots_that_add_up_to_the_dose_in_the_api(client, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    course = _booked(client, api, pid)
    url = f"/api/v1/infusions/{course}/administer"
    none = client.post(url, headers=api, json={"dose_g": 70})
    assert none.status_code == 422 and "at least one lot" in none.text
    given = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=api,
        json={
            "scheduled_on": iso(TODAY - timedelta(days=1)),
            "status": "given",
            "dose_g": 70,
            "lots": [],
        },
    )
    assert given.status_code == 422 and "at least one lot" in given.text
    over = client.post(
        url,
        headers=api,
        json={"dose_g": 70, "lots": [{"lot_number": "P1", "vials": 2, "size_g": 40}]},
    )
    assert over.status_code == 422, over.text
    assert "10 g more than the 70 g given" in over.text and "confirm_lot_total" in over.text
    under = client.post(
        url,
        headers=api,
        json={"dose_g": 70, "lots": [{"lot_number": "P1", "vials": 1, "size_g": 40}]},
    )
    assert under.status_code == 422 and "30 g less than the 70 g given" in under.text
    expired = client.post(
        url,
        headers=api,
        json={
            "dose_g": 70,
            "lots": [
                {
                    "lot_number": "OLD7",
                    "vials": 7,
                    "size_g": 10,
                    "expires_on": iso(TODAY - timedelta(days=1)),
                }
            ],
        },
    )
    assert expired.status_code == 422 and "lot OLD7 expired" in expired.text
    confirmed = client.post(
        url,
        headers=api,
        json={
            "dose_g": 70,
            "confirm_lot_total": True,
            "lots": [{"lot_number": "P1", "vials": 2, "size_g": 40}],
        },
    )
    assert confirmed.status_code == 200, confirmed.text


def test_the_nurse_form_refuses_blank_lots_and_asks_to_confirm_a_difference(
    client, make_user, api_as, session
):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    course = _booked(client, api, pid)
    log_in(client, make_user, "nurse")
    url = f"/log/{course}"
    blank = post_form(
        client,
        url,
        url,
        {
            "given_on": iso(TODAY),
            "dose_g": "70",
            "product_code": "privigen",
            "lots.0.vials": "1",
            "lots.0.size_g": "70",
        },
    )
    assert blank.status_code == 422 and "at least one lot" in blank.text
    assert session.get(Infusion, course).status == "booked"
    typed = {
        "given_on": iso(TODAY),
        "dose_g": "70",
        "product_code": "privigen",
        "lots.0.lot_number": "P1",
        "lots.0.vials": "2",
        "lots.0.size_g": "40",
    }
    differ = post_form(client, url, url, typed)
    assert differ.status_code == 422
    assert "10 g more than the 70 g given" in differ.text
    assert 'name="confirm_lot_total"' in differ.text
    ok = post_form(client, url, url, typed | {"confirm_lot_total": "1"})
    assert ok.status_code == 303, ok.text


def _patient_without_product(client, api, mrn="NOPROD-1"):
    pid = client.post(
        "/api/v1/patients",
        headers=api,
        json={
            "mrn": mrn,
            "given_name": "Nora",
            "family_name": "Product",
            "birth_date": "1970-01-01",
            "sex": "female",
            "height_cm": 165,
        },
    ).json()["id"]
    assert (
        client.post(
            f"/api/v1/patients/{pid}/weights",
            headers=api,
            json={"measured_on": iso(TODAY - timedelta(days=20)), "weight_kg": 70},
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"/api/v1/patients/{pid}/regimens",
            headers=api,
            json={
                "starts_on": iso(TODAY - timedelta(days=10)),
                "dose_g_per_kg": 1,
                "interval_days": 28,
                "reason": "maintenance",
            },
        ).status_code
        == 201
    )
    return pid


def test_the_nurse_form_makes_the_product_an_explicit_choice(client, make_user, api_as, session):
    api = api_as("pharmacist", "api.pharmacist")
    with_product = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    without = _patient_without_product(client, api)
    log_in(client, make_user, "nurse")
    chosen = client.get(f"/log/{_booked(client, api, with_product)}").text
    assert '<option value="privigen" selected>' in chosen
    course = _booked(client, api, without)
    form = client.get(f"/log/{course}").text
    assert '<option value="" selected>Choose a product</option>' in form
    assert form.count(" selected>") == 2  # the product's empty choice and the grip measure
    refused = post_form(
        client,
        f"/log/{course}",
        f"/log/{course}",
        {
            "given_on": iso(TODAY),
            "dose_g": "70",
            "product_code": "",
            "lots.0.lot_number": "P1",
            "lots.0.vials": "7",
            "lots.0.size_g": "10",
        },
    )
    assert refused.status_code == 422 and 'id="e-product_code"' in refused.text
    assert "Choose the product given" in refused.text
    assert session.get(Infusion, course).status == "booked"


def test_days_in_a_row_outside_1_to_5_are_refused_naming_the_field(
    client, make_user, api_as, session
):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    log_in(client, make_user)
    page = f"/patients/{pid}/book"
    for days in ("9", "0"):
        answer = post_form(
            client,
            page,
            page,
            {
                "scheduled_on": iso(TODAY + timedelta(days=5)),
                "start_time": "09:00",
                "chair": "C1",
                "days": days,
            },
        )
        assert answer.status_code == 422, (days, answer.status_code)
        assert 'id="e-days"' in answer.text
    assert session.exec(select(Infusion).where(Infusion.patient_id == pid)).all() == []
    api_answer = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=api,
        json={"scheduled_on": iso(TODAY + timedelta(days=5)), "days": 9},
    )
    assert api_answer.status_code == 422 and "days" in api_answer.text


def test_recording_a_course_twice_shows_the_conflict_on_the_form(client, make_user, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    course = _booked(client, api, pid)
    log_in(client, make_user, "nurse")
    url = f"/log/{course}"
    typed = {
        "given_on": iso(TODAY),
        "dose_g": "70",
        "product_code": "privigen",
        "lots.0.lot_number": "P1",
        "lots.0.vials": "7",
        "lots.0.size_g": "10",
    }
    assert post_form(client, url, url, typed).status_code == 303
    again = post_form(client, url, url, typed)
    assert again.status_code == 409
    assert '<p class="error" role="alert">' in again.text
    assert "already recorded as given" in again.text


def test_the_header_says_when_the_latest_weight_gives_another_dose(client, make_user, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(
        client, api, starts_on=TODAY - timedelta(days=150), weight_kg=60, dose_g_per_kg=0.5
    )
    log_in(client, make_user, "viewer")
    page = client.get(f"/patients/{pid}").text
    assert "0.5 g/kg (30 g)" in page and "dose would be" not in page
    assert (
        client.post(
            f"/api/v1/patients/{pid}/weights",
            headers=api,
            json={"measured_on": iso(TODAY), "weight_kg": 50, "confirm_weight_change": True},
        ).status_code
        == 201
    )
    page = client.get(f"/patients/{pid}").text
    assert "0.5 g/kg (30 g)" in page
    assert "on today&#39;s weight of 50 kg the dose would be 25 g" in page.replace("On", "on")
    assert "consider a new regimen" in page


def _waning_patient(client, api):
    first = TODAY - timedelta(days=90)
    pid = patient_with_regimen(client, api, starts_on=first - timedelta(days=7))
    for k in range(4):
        day = first + timedelta(days=28 * k)
        give(client, api, pid, day)
        if k:
            score(client, api, pid, day, 68, "pre_infusion")
        score(client, api, pid, day + timedelta(days=3), 80, "post_infusion")
    return pid, first + timedelta(days=28 * 3)


def test_saving_a_weight_or_a_regimen_says_what_was_saved(client, make_user, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    log_in(client, make_user)
    page = f"/patients/{pid}"
    saved = post_form(
        client,
        page,
        f"{page}/weights",
        {"measured_on": iso(TODAY), "weight": "72", "weight_unit": "kg"},
    )
    assert saved.status_code == 303
    shown = client.get(saved.headers["location"]).text
    assert '<p class="notice" role="status">Weight recorded: 72 kg' in shown
    url = f"{page}/regimens/new"
    done = post_form(
        client,
        url,
        url,
        {
            "starts_on": iso(TODAY),
            "dose_g_per_kg": "1",
            "interval_days": "21",
            "days_per_course": "1",
            "product_code": "privigen",
            "weight_basis": "auto",
            "reason": "wear-off",
            "confirm": "save",
        },
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "New regimen saved: 1 g/kg (70 g) every 21 days" in shown
    # A notice is only ever about this patient's own rows, never text from the address.
    assert "notice" not in client.get(f"{page}?saved=regimen:999999").text.split("<main")[1]


def test_accepting_a_recommendation_previews_the_regimen_and_saves_on_confirm(
    client, make_user, api_as
):
    api = api_as("pharmacist", "api.pharmacist")
    pid, last = _waning_patient(client, api)
    regimens = f"/api/v1/patients/{pid}/regimens"
    before = len(client.get(regimens, headers=api).json())
    log_in(client, make_user)
    page = f"/patients/{pid}"
    preview = post_form(client, page, f"{page}/recommendation/accept", {})
    assert preview.status_code == 200
    text = preview.text
    assert "every <strong>21 days</strong>" in text and "1 g/kg" in text and "70 g" in text
    assert "Intensity" in text and " × " in text
    assert f"Next due: {last + timedelta(days=21):%d %b %Y}" in text
    assert 'name="confirm" value="save"' in text
    assert len(client.get(regimens, headers=api).json()) == before
    confirmed = post_form(
        client,
        page,
        f"{page}/recommendation/accept",
        {"confirm": "save", "dose_g_per_kg": "1", "interval_days": "21"},
    )
    assert confirmed.status_code == 303, confirmed.text
    assert len(client.get(regimens, headers=api).json()) == before + 1
    assert "New regimen saved" in client.get(confirmed.headers["location"]).text


def test_page_forms_name_the_field_and_the_limit_in_plain_words(client, make_user, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    pid = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    log_in(client, make_user)
    page = f"/patients/{pid}/book"
    answer = post_form(
        client,
        page,
        page,
        {
            "scheduled_on": iso(TODAY + timedelta(days=5)),
            "start_time": "09:00",
            "chair": "C1",
            "days": "9",
        },
    )
    assert "Days in a row must be between 1 and 5" in answer.text
    assert "Input should" not in answer.text


def test_scanning_a_vial_fills_product_lot_and_expiry(client, make_user, api_as, session):
    from tracker.services.actors import SYSTEM
    from tracker.services.products import set_product_gtin
    from tracker.store.models import Product

    api = api_as("pharmacist", "api.pharmacist")
    pid = _patient_without_product(client, api, mrn="SCAN-1")
    course = _booked(client, api, pid)
    privigen = session.exec(select(Product).where(Product.code == "privigen")).one()
    set_product_gtin(session, actor=SYSTEM, product_id=privigen.id, gtin="09506000134352")
    log_in(client, make_user, "nurse")
    url = f"/log/{course}"
    form = client.get(url).text
    assert 'name="scan"' in form and 'maxlength="200"' in form
    read = post_form(
        client,
        url,
        url,
        {
            "scan": "(01)09506000134352(17)271231(10)LOT123",
            "action": "scan",
            "given_on": iso(TODAY),
            "dose_g": "70",
        },
    )
    assert read.status_code == 200, read.text
    assert '<option value="privigen" selected>' in read.text
    assert 'name="lots.0.lot_number" type="text" value="LOT123"' in read.text
    assert 'name="lots.0.expires_on" type="date" value="2027-12-31"' in read.text
    assert session.get(Infusion, course).status == "booked"  # nothing saved by a scan
    unknown = post_form(client, url, url, {"scan": "(01)09506000134369(10)LOT9", "action": "scan"})
    assert unknown.status_code == 422
    assert "No product has the GTIN 09506000134369" in unknown.text
    garbled = post_form(client, url, url, {"scan": "hello", "action": "scan"})
    assert garbled.status_code == 422 and 'id="e-scan"' in garbled.text


def test_the_patient_form_warns_of_a_likely_duplicate_before_making_a_second_record(
    client, make_user, session
):
    log_in(client, make_user)
    fields = {
        "given_name": "Ann ",
        "family_name": "lee",
        "birth_date": "1975-03-04",
        "sex": "",
    }
    first = post_form(client, "/patients/new", "/patients/new", {"mrn": "DUP-1"} | fields)
    assert first.status_code == 303, first.text
    again = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {"mrn": "DUP-2", "given_name": "ann", "family_name": "Lee"}
        | {
            "birth_date": "1975-03-04",
            "sex": "",
        },
    )
    assert again.status_code == 409
    assert 'id="likely-duplicates"' in again.text and "MRN DUP-1" in again.text
    assert "04 Mar 1975" in again.text and 'name="confirm_new_person"' in again.text
    assert session.exec(select(Patient).where(Patient.mrn == "DUP-2")).first() is None
    other_birthday = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {"mrn": "DUP-3"} | fields | {"birth_date": "1975-03-05"},
    )
    assert other_birthday.status_code == 303  # a different birth date is no warning
    confirmed = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {"mrn": "DUP-2", "confirm_new_person": "1"} | fields,
    )
    assert confirmed.status_code == 303, confirmed.text
    assert session.exec(select(Patient).where(Patient.mrn == "DUP-2")).one()


def test_a_refusal_the_log_form_has_no_field_for_is_said_on_the_form(
    client, make_user, api_as, session
):
    # Given two days early, the course's chair was taken that day: the form came back (422)
    # with no message anywhere, for it has no chair field.
    api = api_as("pharmacist", "api.pharmacist")
    first = patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=10))
    second = patient_with_regimen(client, api, mrn="MRN-10", starts_on=TODAY - timedelta(days=10))
    chair = {"start_time": "09:00", "chair": "C1"}
    for pid, day in ((first, TODAY), (second, TODAY + timedelta(days=2))):
        booked = client.post(
            f"/api/v1/patients/{pid}/infusions",
            headers=api,
            json={"scheduled_on": iso(day)} | chair,
        )
        assert booked.status_code == 201, booked.text
    course = booked.json()["id"]
    log_in(client, make_user, "nurse")
    url = f"/log/{course}"
    answer = post_form(
        client,
        url,
        url,
        {
            "given_on": iso(TODAY),
            "dose_g": "70",
            "product_code": "privigen",
            "lots.0.lot_number": "P1",
            "lots.0.vials": "7",
            "lots.0.size_g": "10",
        },
    )
    assert answer.status_code == 422, answer.status_code
    assert "Nothing was saved: chair C1 is taken" in answer.text
    assert session.get(Infusion, course).status == "booked"
