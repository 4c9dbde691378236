"""Weights and heights on the pages: typed in kg or lb, cm or in; shown in the site's unit;
a jump of more than 10% kept only when confirmed."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import iso, patient_with_regimen
from tests.builders.pages import log_in, post_form
from tracker.services.policy import DisplayUnits
from tracker.store.models import Patient, SitePolicyRow, Weight
from tracker.web.templating import templates

TODAY = date.today()


@pytest.fixture
def pharmacist_api(api_as):
    return api_as("pharmacist", "api.pharmacist")


def _site_units(session, weight="kg", height="cm"):
    session.add(SitePolicyRow(id=1, values={"weight_unit": weight, "height_unit": height}))
    session.commit()


def _weights(session, pid):
    session.expire_all()
    return [
        w.weight_kg
        for w in session.exec(select(Weight).where(Weight.patient_id == pid).order_by(Weight.id))
    ]


def test_a_weight_typed_in_lb_is_stored_in_kg(client, make_user, pharmacist_api, session):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY, weight_kg=70)
    log_in(client, make_user, "nurse")
    page = f"/patients/{pid}"
    answer = post_form(
        client,
        page,
        f"{page}/weights",
        {"measured_on": iso(TODAY), "weight": "154", "weight_unit": "lb"},
    )
    assert answer.status_code == 303, answer.text
    assert _weights(session, pid)[-1] == pytest.approx(69.85322498)


def test_a_jump_is_refused_with_the_message_by_the_field_and_nothing_saved(
    client,
    make_user,
    pharmacist_api,
    session,
):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY, weight_kg=70)
    log_in(client, make_user, "nurse")
    page = f"/patients/{pid}"
    answer = post_form(
        client,
        page,
        f"{page}/weights",
        {"measured_on": iso(TODAY), "weight": "154", "weight_unit": "kg"},
    )
    assert answer.status_code == 422
    assert 'id="e-weight_kg"' in answer.text
    assert "154 kg is 120% more than 70 kg" in answer.text
    assert "lb typed as kg is the usual cause" in answer.text
    assert _weights(session, pid) == [70]
    confirmed = post_form(
        client,
        page,
        f"{page}/weights",
        {
            "measured_on": iso(TODAY),
            "weight": "154",
            "weight_unit": "kg",
            "confirm_weight_change": "1",
        },
    )
    assert confirmed.status_code == 303
    assert _weights(session, pid) == [70, 154]


def test_the_weight_form_asks_for_the_confirmation_and_keeps_what_was_typed():
    class P:
        id = 7

    html = templates.env.get_template("_weight_form.html").render(
        p=P(),
        today=TODAY,
        units=DisplayUnits(weight="lb"),
        csrf_token="t",
        values={
            "weight": {
                "measured_on": iso(TODAY),
                "weight": "154",
                "weight_unit": "kg",
                "ask_confirmation": True,
            }
        },
        errors={"weight_kg": "154 kg is 120% more than 70 kg on 2026-11-02; ..."},
    )
    assert 'name="confirm_weight_change"' in html and "Yes, this weight is right" in html
    assert 'value="154"' in html and '<option value="kg" selected>' in html
    assert "154 kg is 120% more" in html and 'id="e-weight_kg"' in html
    fresh = templates.env.get_template("_weight_form.html").render(
        p=P(), today=TODAY, units=DisplayUnits(weight="lb"), csrf_token="t", values={}, errors={}
    )
    assert "confirm_weight_change" not in fresh
    assert '<option value="lb" selected>' in fresh  # the site's unit first


def test_an_unknown_unit_is_named(client, make_user, pharmacist_api, session):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY, weight_kg=70)
    log_in(client, make_user, "nurse")
    page = f"/patients/{pid}"
    answer = post_form(
        client,
        page,
        f"{page}/weights",
        {"measured_on": iso(TODAY), "weight": "11", "weight_unit": "stone"},
    )
    assert answer.status_code == 422 and "must be kg or lb" in answer.text
    assert _weights(session, pid) == [70]


def test_a_height_typed_in_inches_is_stored_in_cm_and_shown_in_the_site_unit(
    client,
    make_user,
    session,
):
    _site_units(session, weight="lb", height="in")
    log_in(client, make_user)
    made = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {
            "mrn": "IN-1",
            "given_name": "Ina",
            "family_name": "Inch",
            "birth_date": "1960-01-01",
            "sex": "female",
            "height": "65",
            "height_unit": "in",
        },
    )
    assert made.status_code == 303, made.text
    patient = session.exec(select(Patient).where(Patient.mrn == "IN-1")).one()
    assert patient.height_cm == pytest.approx(165.1)
    page = client.get(f"/patients/{patient.id}").text
    assert "65 in" in page
    edit = client.get(f"/patients/{patient.id}/edit").text
    assert 'value="65"' in edit and '<option value="in" selected>' in edit


def test_an_edit_that_leaves_the_height_as_shown_keeps_the_stored_figure(
    client,
    make_user,
    session,
):
    _site_units(session, height="in")
    log_in(client, make_user)
    made = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {
            "mrn": "IN-2",
            "given_name": "Ina",
            "family_name": "Inch",
            "birth_date": "1960-01-01",
            "sex": "female",
            "height": "163",
            "height_unit": "cm",
        },
    )
    assert made.status_code == 303
    patient = session.exec(select(Patient).where(Patient.mrn == "IN-2")).one()
    url = f"/patients/{patient.id}/edit"
    saved = post_form(
        client,
        url,
        url,
        {
            "mrn": "IN-2",
            "given_name": "Ina",
            "family_name": "Inch",
            "birth_date": "1960-01-01",
            "sex": "female",
            "height": "64.17",
            "height_unit": "in",
            "status": "active",
            "diagnosis": "MMN",
        },
    )
    assert saved.status_code == 303, saved.text
    session.expire_all()
    assert session.get(Patient, patient.id).height_cm == 163


def test_the_dosing_weight_stays_in_kg_with_the_site_unit_beside_it(
    client,
    make_user,
    pharmacist_api,
    session,
):
    _site_units(session, weight="lb")
    pid = patient_with_regimen(
        client,
        pharmacist_api,
        starts_on=TODAY - timedelta(days=10),
        sex="female",
        height_cm=160,
        weight_kg=95,
    )
    log_in(client, make_user)
    page = client.get(f"/patients/{pid}").text
    assert "69.43 kg (153.1 lb)" in page
    assert "g/kg" in page  # the dose figures stay in g and g/kg
