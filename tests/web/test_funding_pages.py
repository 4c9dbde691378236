"""The funding panel on the patient page, the pharmacist's forms to record and correct an
authorisation, and the printable renewal packet."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import give, iso, patient_with_regimen, score
from tests.builders.pages import log_in, post_form
from tracker.formats.display import date_text
from tracker.store.models import AuditEvent, FundingAuthorization

TODAY = date.today()


@pytest.fixture
def pharmacist_api(api_as):
    return api_as("pharmacist", "api.pharmacist")


def _patient(client, headers, mrn="FP-1"):
    """70 g given 56 and 28 days ago, scores before and after, 420 g / 6 courses approved."""
    pid = patient_with_regimen(client, headers, mrn=mrn, starts_on=TODAY - timedelta(days=70))
    score(client, headers, pid, TODAY - timedelta(days=60), 40, "clinic")
    give(client, headers, pid, TODAY - timedelta(days=56))
    give(client, headers, pid, TODAY - timedelta(days=28), lots=None)
    score(client, headers, pid, TODAY - timedelta(days=3), 52, "clinic")
    answer = client.post(
        f"/api/v1/patients/{pid}/authorizations",
        headers=headers,
        json={
            "payer": "Aetna",
            "reference": f"{mrn}-PA",
            "starts_on": iso(TODAY - timedelta(days=58)),
            "ends_on": iso(TODAY + timedelta(days=300)),
            "approved_g": 420,
            "approved_courses": 6,
        },
    )
    assert answer.status_code == 201, answer.text
    return pid, answer.json()


def test_the_patient_page_shows_each_authorisation_as_a_bar_and_in_words(
    client, make_user, pharmacist_api
):
    pid, made = _patient(client, pharmacist_api)
    log_in(client, make_user, "viewer")
    page = client.get(f"/patients/{pid}").text
    panel = page[page.index('id="funding"') :]
    assert "FP-1-PA" in panel and "Aetna" in panel
    assert 'role="img"' in panel and "used 33%" in panel  # 140 of 420 g
    assert "Used 140 g in 2 courses" in panel
    assert "280 g left and 4 courses left" in panel
    assert f"Ends on {date_text(TODAY + timedelta(days=300))}" in panel
    assert "Projected to run out on" in panel  # 4 more courses fit before 300 days
    assert f"/patients/{pid}/authorizations/{made['id']}/packet" in panel
    # A viewer may not record one.
    assert f'href="/patients/{pid}/authorizations"' not in page
    assert client.get(f"/patients/{pid}/authorizations").status_code == 403


def test_a_pharmacist_records_and_corrects_an_authorisation_on_the_page(
    client, make_user, pharmacist_api, session
):
    pid, made = _patient(client, pharmacist_api, "FP-2")
    log_in(client, make_user)
    url = f"/patients/{pid}/authorizations"
    new = {
        "payer": "Medicare",
        "reference": "MC-9",
        "starts_on": iso(TODAY + timedelta(days=301)),
        "ends_on": iso(TODAY + timedelta(days=200)),  # before it starts
        "approved_g": "",
        "approved_courses": "13",
    }
    refused = post_form(client, url, url, new)
    assert refused.status_code == 422
    assert 'id="e-ends_on"' in refused.text  # the error beside its field
    assert (
        session.exec(
            select(FundingAuthorization).where(FundingAuthorization.reference == "MC-9")
        ).all()
        == []
    )
    saved = post_form(client, url, url, new | {"ends_on": iso(TODAY + timedelta(days=600))})
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"]).text
    assert (
        "Saved authorisation MC-9 (Medicare)" in shown
        and "no limit in grams and 13 courses" in shown
    )
    # A correction: a blank payer is refused beside that authorisation's own field...
    fix = f"{url}/{made['id']}"
    values = {
        "payer": "",
        "reference": "FP-2-PA",
        "starts_on": iso(TODAY - timedelta(days=58)),
        "ends_on": iso(TODAY + timedelta(days=300)),
        "approved_g": "490",
        "approved_courses": "",
    }
    refused = post_form(client, url, fix, values)
    assert refused.status_code == 422 and f'id="e-payer-{made["id"]}"' in refused.text
    done = post_form(client, url, fix, values | {"payer": "Aetna"})
    assert done.status_code == 303
    session.expire_all()
    row = session.get(FundingAuthorization, made["id"])
    assert (row.approved_g, row.approved_courses) == (490, None)
    entry = session.exec(
        select(AuditEvent).where(AuditEvent.action == "authorization.update")
    ).one()
    assert entry.changes == {"approved_g": [420.0, 490.0], "approved_courses": [6, None]}
    # Another patient's authorisation is not found under this patient's address.
    other, _ = _patient(client, pharmacist_api, "FP-3")
    assert (
        post_form(
            client, url, f"/patients/{other}/authorizations/{made['id']}", values | {"payer": "X"}
        ).status_code
        == 404
    )


def test_the_renewal_packet_holds_the_benefit_courses_doses_and_flags(
    client, make_user, pharmacist_api, session
):
    pid, made = _patient(client, pharmacist_api, "FP-4")
    log_in(client, make_user, "viewer")
    page = client.get(f"/patients/{pid}/authorizations/{made['id']}/packet")
    assert page.status_code == 200
    text = page.text
    assert "Renewal of authorisation FP-4-PA" in text
    assert "out of it" in text
    assert "140 g given in 2 courses" in text
    # Baseline 40 kPa before the first course of the period, latest 52: +12, past the MCID 8.
    assert "+12 kPa" in text and "yes: improved" in text
    assert "No attempt at a lower dose in the period." in text
    assert "Neither no response nor refractory disease is flagged." in text
    entry = session.exec(
        select(AuditEvent).where(AuditEvent.action == "patient.view").order_by(AuditEvent.id.desc())
    ).first()
    assert "renewal packet" in entry.changes["viewed"]
    other, _ = _patient(client, pharmacist_api, "FP-5")
    assert client.get(f"/patients/{other}/authorizations/{made['id']}/packet").status_code == 404


def test_the_booking_page_says_what_a_booking_would_leave_before_saving(
    client, make_user, pharmacist_api
):
    pid, _made = _patient(client, pharmacist_api, "FP-6")
    log_in(client, make_user)
    page = client.get(f"/patients/{pid}/book").text
    # Due today (28 days after the last course): 140 g used, this 70 g booked, 3 more fit.
    assert "Charged to <strong>FP-6-PA</strong> (Aetna), 70 g" in page
    assert "leaves <strong>210 g and 3 courses</strong>" in page
    assert f"projected to run out on <strong>{date_text(TODAY + timedelta(days=112))}" in page
    later = TODAY + timedelta(days=400)
    beyond = client.get(f"/patients/{pid}/book?check={iso(later)}").text
    assert f"No authorisation covers {date_text(later)}." in beyond
