"""Any clinic score from the patient page: RODS, INCAT, ONLS and the reported wear-off day
could only be recorded through the API or the patient's diary."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import iso, patient_with_regimen
from tests.builders.pages import log_in, post_form
from tracker.store.models import Assessment

TODAY = date.today()


@pytest.fixture
def patient(client, api_as):
    api = api_as("pharmacist", "api.pharmacist")
    return patient_with_regimen(client, api, starts_on=TODAY - timedelta(days=30))


def _scores(session, pid):
    session.expire_all()
    return [
        (a.measure, a.side, a.value, a.timing, a.source)
        for a in session.exec(select(Assessment).where(Assessment.patient_id == pid))
    ]


def test_a_nurse_records_an_incat_and_a_wear_off_day_from_the_patient_page(
    client, make_user, session, patient
):
    log_in(client, make_user, "nurse")
    page = f"/patients/{patient}"
    form = client.get(page).text
    assert f'action="/patients/{patient}/scores"' in form
    assert '<option value="rods" >RODS (centile)</option>' in form
    for measure, value in (("incat", "3"), ("wear_off_day", "21")):
        saved = post_form(
            client,
            page,
            f"{page}/scores",
            {"taken_on": iso(TODAY), "measure": measure, "value": value, "timing": "clinic"},
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"].endswith("#scores")
    notice = client.get(saved.headers["location"].split("#")[0]).text
    assert "Score recorded: wear-off day 21 on" in notice
    assert sorted(_scores(session, patient)) == [
        ("incat", None, 3.0, "clinic", "clinic"),
        ("wear_off_day", None, 21.0, "clinic", "clinic"),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"measure": "incat", "value": "11"}, "value"),  # INCAT runs 0 to 10
        ({"measure": "rods", "value": "50", "side": "left"}, "side"),  # no side for RODS
        ({"measure": "grip_vigorimeter", "value": "40"}, "side"),  # a grip needs its side
        ({"measure": "", "value": "3"}, "measure"),
        ({"measure": "onls", "value": "2", "taken_on": "1950-01-01"}, "taken_on"),
    ],
)
def test_a_wrong_score_is_refused_at_its_field_and_nothing_is_saved(
    client, make_user, session, patient, fields, field
):
    log_in(client, make_user, "nurse")
    page = f"/patients/{patient}"
    answer = post_form(
        client, page, f"{page}/scores", {"taken_on": iso(TODAY), "timing": "clinic"} | fields
    )
    assert answer.status_code == 422, answer.status_code
    assert f'id="e-{field}"' in answer.text
    assert _scores(session, patient) == []


def test_a_viewer_is_offered_no_score_form(client, make_user, patient):
    log_in(client, make_user, "viewer")
    assert f'action="/patients/{patient}/scores"' not in client.get(f"/patients/{patient}").text
