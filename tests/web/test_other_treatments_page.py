"""The other treatments page: recording and stopping one, errors beside their fields, and
the list on the patient's page."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import iso, patient_with_regimen
from tests.builders.pages import csrf_of, log_in, post_form
from tracker.store.models import OtherTreatment

TODAY = date.today()


@pytest.fixture
def pharmacist_api(api_as):
    return api_as("pharmacist", "api.pharmacist")


def test_record_a_treatment_with_errors_beside_their_fields(
    client, make_user, pharmacist_api, session
):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY - timedelta(days=60))
    log_in(client, make_user)
    url = f"/patients/{pid}/other-treatments"
    page = client.get(url)
    assert page.status_code == 200 and "None recorded." in page.text
    wrong = post_form(
        client,
        url,
        url,
        {
            "kind": "trial_drug",
            "description": "",
            "started_on": iso(TODAY - timedelta(days=30)),
            "stopped_on": iso(TODAY - timedelta(days=40)),
            "notes": "cohort B",
        },
    )
    assert wrong.status_code == 422
    assert 'id="e-description"' in wrong.text and "say which trial drug" in wrong.text
    assert 'id="e-stopped_on"' in wrong.text and "before started_on" in wrong.text
    assert "cohort B" in wrong.text  # what was typed is kept
    assert session.exec(select(OtherTreatment)).all() == []
    future = post_form(
        client, url, url, {"kind": "rituximab", "started_on": iso(TODAY + timedelta(days=1))}
    )
    assert future.status_code == 422 and 'id="e-started_on"' in future.text
    ok = post_form(
        client,
        url,
        url,
        {
            "kind": "trial_drug",
            "description": "ARGX-117",
            "started_on": iso(TODAY - timedelta(days=30)),
            "notes": "cohort B",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("#other-treatments")
    (row,) = session.exec(select(OtherTreatment)).all()
    assert (row.kind, row.description, row.stopped_on) == ("trial_drug", "ARGX-117", None)

    patient_page = client.get(f"/patients/{pid}").text
    section = patient_page[patient_page.index('id="other-treatments"') :]
    assert "Trial drug: ARGX-117" in section and "ongoing" in section
    # And on the timeline, beside the IVIG history: a lane from its start, still open.
    assert (
        f'class="tl-treatment tl-treatment-trial_drug tl-ongoing" '
        f'data-from="{iso(TODAY - timedelta(days=30))}" data-to=""'
    ) in patient_page
    assert f'href="/patients/{pid}/other-treatments"' in patient_page


def test_stop_a_treatment_with_the_error_beside_its_day(client, make_user, pharmacist_api, session):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY - timedelta(days=60))
    started = TODAY - timedelta(days=20)
    made = client.post(
        f"/api/v1/patients/{pid}/other-treatments",
        headers=pharmacist_api,
        json={"kind": "cyclophosphamide", "started_on": iso(started)},
    ).json()
    log_in(client, make_user)
    url = f"/patients/{pid}/other-treatments"
    stop_url = f"{url}/{made['id']}/stop"
    early = post_form(client, url, stop_url, {"stopped_on": iso(started - timedelta(days=1))})
    assert early.status_code == 422
    assert f'id="e-stopped_on-{made["id"]}"' in early.text and "before" in early.text
    assert iso(started - timedelta(days=1)) in early.text  # the typed day is kept
    done = post_form(client, url, stop_url, {"stopped_on": iso(TODAY - timedelta(days=2))})
    assert done.status_code == 303
    session.expire_all()
    assert session.get(OtherTreatment, made["id"]).stopped_on == TODAY - timedelta(days=2)
    assert "Change last day" in client.get(url).text
    # A treatment of another patient is not found through this patient's page.
    other = patient_with_regimen(client, pharmacist_api, mrn="MRN-10", starts_on=TODAY)
    assert (
        post_form(
            client,
            url,
            f"/patients/{other}/other-treatments/{made['id']}/stop",
            {"stopped_on": iso(TODAY)},
        ).status_code
        == 404
    )
    assert (
        post_form(client, url, f"{url}/999999/stop", {"stopped_on": iso(TODAY)}).status_code == 404
    )


def test_viewers_see_the_list_but_not_the_forms(client, make_user, pharmacist_api):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY - timedelta(days=60))
    client.post(
        f"/api/v1/patients/{pid}/other-treatments",
        headers=pharmacist_api,
        json={"kind": "rituximab", "started_on": iso(TODAY - timedelta(days=5))},
    )
    log_in(client, make_user, "viewer")
    page = client.get(f"/patients/{pid}")
    assert "Rituximab" in page.text
    assert f'href="/patients/{pid}/other-treatments"' not in page.text
    assert client.get(f"/patients/{pid}/other-treatments").status_code == 403
    answer = client.post(
        f"/patients/{pid}/other-treatments",
        data={"csrf_token": csrf_of(page.text), "kind": "rituximab", "started_on": iso(TODAY)},
    )
    assert answer.status_code == 403
