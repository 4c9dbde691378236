"""Funding authorisations on the pages: a refused booking or log shows the refusal beside an
override reason field that lets it through; the worklist has a tab for each funding flag."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import give, iso, patient_with_regimen
from tests.builders.pages import log_in, post_form
from tests.opening_days import open_every_day
from tracker.formats.display import date_text
from tracker.store.models import AuditEvent, Infusion

TODAY = date.today()


@pytest.fixture
def pharmacist_api(api_as):
    return api_as("pharmacist", "api.pharmacist")


def _patient(client, headers, mrn, *, authorised_until_days):
    """A patient with 70 g given 28 days ago and an authorisation of 140 g until then."""
    pid = patient_with_regimen(client, headers, mrn=mrn, starts_on=TODAY - timedelta(days=40))
    give(client, headers, pid, TODAY - timedelta(days=28))
    answer = client.post(
        f"/api/v1/patients/{pid}/authorizations",
        headers=headers,
        json={
            "payer": "NHS England",
            "reference": f"{mrn}-PA",
            "starts_on": iso(TODAY - timedelta(days=40)),
            "ends_on": iso(TODAY + timedelta(days=authorised_until_days)),
            "approved_g": 140,
        },
    )
    assert answer.status_code == 201, answer.text
    return pid


def _require(client, api_as):
    answer = client.put(
        "/api/v1/policy", headers=api_as("admin"), json={"authorizations_required": True}
    )
    assert answer.status_code == 200, answer.text


def test_a_refused_booking_shows_the_override_field_and_a_reason_books_it(
    client, make_user, pharmacist_api, api_as, session
):
    open_every_day(session)
    pid = _patient(client, pharmacist_api, "PG-1", authorised_until_days=10)
    _require(client, api_as)
    log_in(client, make_user)
    page = f"/patients/{pid}/book"
    assert 'name="override_reason"' not in client.get(page).text  # only once refused
    day = iso(TODAY + timedelta(days=12))
    wanted = {"scheduled_on": day, "start_time": "10:00", "chair": "C1", "days": "1"}
    refused = post_form(client, page, page, wanted)
    assert refused.status_code == 409
    assert 'name="override_reason"' in refused.text
    assert f"no authorisation covers {date_text(TODAY + timedelta(days=12))}" in refused.text
    assert 'id="e-override_reason"' in refused.text  # the refusal beside the field
    assert (
        session.exec(
            select(Infusion).where(Infusion.scheduled_on == TODAY + timedelta(days=12))
        ).all()
        == []
    )
    booked = post_form(client, page, page, wanted | {"override_reason": "renewal agreed"})
    assert booked.status_code == 303, booked.text
    course = session.exec(
        select(Infusion).where(Infusion.patient_id == pid, Infusion.status == "booked")
    ).one()
    assert course.override_reason == "renewal agreed"
    entry = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "infusion.create", AuditEvent.entity_id == str(course.id)
        )
    ).one()
    assert entry.changes["override_reason"] == "renewal agreed"
    # Moving it further is checked again, beside that booking's own fields.
    move = {"scheduled_on": iso(TODAY + timedelta(days=13)), "start_time": "10:00", "chair": "C1"}
    moved = post_form(client, page, f"/infusions/{course.id}/reschedule", move)
    assert moved.status_code == 409
    assert f'id="e-{course.id}-override"' in moved.text
    moved = post_form(
        client, page, f"/infusions/{course.id}/reschedule", move | {"override_reason": "still"}
    )
    assert moved.status_code == 303


def test_a_refused_log_shows_the_override_field_and_a_reason_records_it(
    client, make_user, pharmacist_api, api_as, session
):
    open_every_day(session)
    pid = _patient(client, pharmacist_api, "PG-2", authorised_until_days=60)
    course = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist_api,
        json={"scheduled_on": iso(TODAY), "start_time": "08:00", "chair": "C2"},
    ).json()
    _require(client, api_as)
    log_in(client, make_user, "nurse")
    form = {
        "given_on": iso(TODAY),
        "dose_g": "80",  # 10 g more than the 70 g left
        "product_code": "privigen",
        "lots.0.lot_number": "P1",
        "lots.0.vials": "2",
        "lots.0.size_g": "40",
    }
    url = f"/log/{course['id']}"
    refused = post_form(client, url, url, form)
    assert refused.status_code == 409
    assert "PG-2-PA: 10 g short" in refused.text and 'id="e-override_reason"' in refused.text
    assert session.get(Infusion, course["id"]).status == "booked"
    logged = post_form(client, url, url, form | {"override_reason": "weighed more today"})
    assert logged.status_code == 303, logged.text
    session.expire_all()
    given = session.get(Infusion, course["id"])
    assert (given.status, given.override_reason) == ("given", "weighed more today")


def test_the_worklist_has_a_counted_tab_for_each_funding_flag(
    client, make_user, pharmacist_api, api_as
):
    ending = _patient(client, pharmacist_api, "PG-3", authorised_until_days=10)
    _require(client, api_as)
    log_in(client, make_user)
    home = client.get("/").text
    assert "/?view=authorization_ending" in home and "/?view=authorization_missing" in home
    tab = client.get("/?view=authorization_ending").text
    assert f"/patients/{ending}" in tab and "Funding ending" in tab
    assert "funding stops" in tab
