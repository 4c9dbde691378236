"""The diagnosis through the HTTP API and the pages (clinical rules 7)."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import give, iso, patient_with_regimen, score
from tests.builders.pages import csrf_of, log_in, post_form
from tracker.store.models import AuditEvent, DiagnosticAssessment

TODAY = date.today()
DEFINITE = {
    "weak_nerves": 2,
    "weakness_over_1_month": True,
    "definite_block_nerves": 1,
    "probable_block_segments": 0,
    "sensory_conduction_normal": True,
    "anti_gm1_igm_raised": False,
    "csf_protein_raised": False,
    "mri_plexus_t2": False,
    "improved_after_ivig": False,
    "upper_motor_neuron_signs": False,
    "marked_bulbar": False,
    "sensory_beyond_minor_vibration": False,
    "diffuse_symmetric_early_weakness": False,
}
# Probable by 1 weak nerve, 1 segment and 2 supportive criteria, when the improvement after
# IVIG (left out here) is the second one.
ONE_SUPPORTIVE_SHORT = DEFINITE | {
    "weak_nerves": 1,
    "definite_block_nerves": 0,
    "probable_block_segments": 1,
    "anti_gm1_igm_raised": True,
}
ONE_SUPPORTIVE_SHORT.pop("improved_after_ivig")


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist", "dx.pharmacist")


@pytest.fixture
def patient(client, pharmacist):
    return patient_with_regimen(
        client, pharmacist, mrn="DX-1", starts_on=TODAY - timedelta(days=60)
    )


def post(client, headers, pid, body):
    return client.post(f"/api/v1/patients/{pid}/diagnosis", headers=headers, json=body)


def test_recording_answers_201_with_the_classification_and_what_it_rests_on(
    client, pharmacist, patient, session
):
    answer = post(
        client,
        pharmacist,
        patient,
        DEFINITE
        | {
            "assessed_on": iso(TODAY),
            "symptom_onset_on": iso(TODAY - timedelta(days=200)),
            "diagnosis_on": iso(TODAY),
            "notes": "Left wrist drop",
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["classification"] == "definite"
    assert body["possible"] == ["definite"] and body["unknown"] == []
    assert body["improved_after_ivig_source"] == "recorded"
    assert body["weakness_over_1_month_source"] == "recorded"
    assert body["assessed_on"] == iso(TODAY) and body["on"] == iso(TODAY)
    assert body["assessed_by"]["username"] == "dx.pharmacist"
    assert body["findings"] == DEFINITE
    assert body["derived"] == {"weakness_over_1_month": True, "improved_after_ivig": None}
    assert body["first_course_on"] is None and body["onset_to_first_course_days"] is None
    criteria = {c["code"]: c for c in body["criteria"]}
    assert criteria["definite_block"] == {
        "code": "definite_block",
        "label": "Definite motor conduction block in at least 1 nerve",
        "kind": "nerve studies",
        "status": "met",
    }
    assert criteria["marked_bulbar"]["status"] == "not_met"
    row = session.get(DiagnosticAssessment, body["id"])
    assert row.patient_id == patient and row.notes == "Left wrist drop"
    entry = session.exec(select(AuditEvent).where(AuditEvent.action == "diagnosis.create")).one()
    assert entry.patient_id == patient and entry.actor_name == "dx.pharmacist"
    assert entry.entity_id == str(body["id"]) and entry.changes["weak_nerves"] == 2


def test_unknown_findings_leave_it_incomplete_with_what_is_possible_and_what_matters(
    client, pharmacist, patient
):
    body = post(
        client,
        pharmacist,
        patient,
        {
            "assessed_on": iso(TODAY),
            "weak_nerves": 2,
            "probable_block_segments": 2,
            "sensory_conduction_normal": True,
            "upper_motor_neuron_signs": False,
            "marked_bulbar": False,
            "sensory_beyond_minor_vibration": False,
            "diffuse_symmetric_early_weakness": False,
        },
    ).json()
    assert body["classification"] == "incomplete"
    assert body["possible"] == ["definite", "probable"]
    assert body["unknown"] == ["weakness_over_1_month", "definite_block_nerves"]
    assert body["weakness_over_1_month_source"] is None
    assert body["improved_after_ivig_source"] is None
    blank = post(client, pharmacist, patient, {"assessed_on": iso(TODAY)}).json()
    assert blank["possible"] == ["excluded", "definite", "probable", "not_met"]
    assert len(blank["unknown"]) == 13


def test_the_month_is_derived_from_the_onset(client, pharmacist, patient):
    month = dict(DEFINITE)
    month.pop("weakness_over_1_month")
    body = post(
        client,
        pharmacist,
        patient,
        month | {"assessed_on": iso(TODAY), "symptom_onset_on": iso(TODAY - timedelta(days=40))},
    ).json()
    assert body["classification"] == "definite"
    assert body["weakness_over_1_month_source"] == "derived"
    assert body["findings"]["weakness_over_1_month"] is None
    assert body["findings_used"]["weakness_over_1_month"] is True


def test_improvement_is_derived_from_scores_recorded_through_the_api(
    client, pharmacist, patient, api_as
):
    nurse = api_as("nurse", "dx.nurse")
    first = TODAY - timedelta(days=30)
    score(client, nurse, patient, first, 60, "pre_infusion")
    give(client, pharmacist, patient, first)
    give(client, pharmacist, patient, first + timedelta(days=28))
    score(client, nurse, patient, first + timedelta(days=14), 68, "clinic")  # +8 kPa: the MCID
    body = post(
        client,
        pharmacist,
        patient,
        ONE_SUPPORTIVE_SHORT
        | {"assessed_on": iso(TODAY), "symptom_onset_on": iso(first - timedelta(days=75))},
    ).json()
    assert body["classification"] == "probable"
    assert body["improved_after_ivig_source"] == "derived"
    assert body["derived"]["improved_after_ivig"] is True
    assert body["first_course_on"] == iso(first)
    assert body["onset_to_first_course_days"] == 75
    # A recorded value wins.
    recorded = post(
        client,
        pharmacist,
        patient,
        ONE_SUPPORTIVE_SHORT | {"assessed_on": iso(TODAY), "improved_after_ivig": False},
    ).json()
    assert recorded["classification"] == "not_met"
    assert recorded["improved_after_ivig_source"] == "recorded"
    assert recorded["derived"]["improved_after_ivig"] is True


def test_reading_re_derives_on_the_day_asked(client, pharmacist, patient, api_as, session):
    nurse = api_as("nurse", "dx.nurse")
    viewer = api_as("viewer", "dx.viewer")
    first = TODAY - timedelta(days=30)
    score(client, nurse, patient, first, 60, "pre_infusion")
    give(client, pharmacist, patient, first)
    made = post(
        client,
        pharmacist,
        patient,
        ONE_SUPPORTIVE_SHORT | {"assessed_on": iso(first + timedelta(days=5))},
    )
    assert made.json()["classification"] == "incomplete"  # no score after the course yet
    assert made.json()["unknown"] == ["improved_after_ivig"]
    score(client, nurse, patient, first + timedelta(days=14), 70, "clinic")
    url = f"/api/v1/patients/{patient}/diagnosis"
    now = client.get(url, headers=viewer)
    assert now.status_code == 200
    assert now.json()["on"] == iso(TODAY) and now.json()["classification"] == "probable"
    assert now.json()["improved_after_ivig_source"] == "derived"
    before = client.get(f"{url}?on={iso(first + timedelta(days=13))}", headers=viewer).json()
    assert before["classification"] == "incomplete"
    assert before["improved_after_ivig_source"] is None
    on_the_day = client.get(f"{url}?on={iso(first + timedelta(days=14))}", headers=viewer)
    assert on_the_day.json()["classification"] == "probable"
    # Scores and the first course are read to the day asked; the month stays as recorded.
    before_course = client.get(f"{url}?on={iso(first - timedelta(days=1))}", headers=viewer)
    assert before_course.json()["first_course_on"] is None
    view = session.exec(
        select(AuditEvent).where(AuditEvent.action == "patient.view").order_by(AuditEvent.id.desc())
    ).first()
    assert view.actor_name == "dx.viewer" and view.patient_id == patient
    assert view.changes == {"viewed": "diagnosis"}


def test_reading_gives_the_latest_assessment(client, pharmacist, patient):
    post(client, pharmacist, patient, {"assessed_on": iso(TODAY), "weak_nerves": 2})
    post(
        client,
        pharmacist,
        patient,
        {"assessed_on": iso(TODAY - timedelta(days=9)), "weak_nerves": 1},
    )
    latest = client.get(f"/api/v1/patients/{patient}/diagnosis", headers=pharmacist).json()
    assert latest["assessed_on"] == iso(TODAY) and latest["findings"]["weak_nerves"] == 2


def _loc(answer):
    assert answer.status_code == 422, answer.text
    return answer.json()["detail"][0]["loc"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assessed_on": iso(TODAY + timedelta(days=1))}, "assessed_on"),
        ({"symptom_onset_on": iso(TODAY + timedelta(days=1))}, "symptom_onset_on"),
        ({"symptom_onset_on": "1950-01-01"}, "symptom_onset_on"),  # before the birth date
        ({"diagnosis_on": iso(TODAY + timedelta(days=1))}, "diagnosis_on"),
        ({"weak_nerves": 51}, "weak_nerves"),
        ({"definite_block_nerves": -1}, "definite_block_nerves"),
        ({"probable_block_segments": 2.5}, "probable_block_segments"),
        ({"marked_bulbar": "perhaps"}, "marked_bulbar"),
        ({"notes": "x" * 2001}, "notes"),
        ({"assessed_on": "1800-01-01"}, "assessed_on"),
        ({"wrist_drop": True}, "wrist_drop"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(
    client, pharmacist, patient, change, field, session
):
    answer = post(client, pharmacist, patient, {"assessed_on": iso(TODAY)} | change)
    assert _loc(answer) == ["body", field]
    assert session.exec(select(DiagnosticAssessment)).first() is None


def test_onset_after_the_assessment_day_is_refused(client, pharmacist, patient):
    answer = post(
        client,
        pharmacist,
        patient,
        {
            "assessed_on": iso(TODAY - timedelta(days=5)),
            "symptom_onset_on": iso(TODAY - timedelta(days=4)),
        },
    )
    assert _loc(answer) == ["body", "symptom_onset_on"]
    assert _loc(post(client, pharmacist, patient, {})) == ["body", "assessed_on"]


def test_unknown_patient_and_no_assessment_are_404(client, pharmacist, patient):
    assert post(client, pharmacist, 999_999, {"assessed_on": iso(TODAY)}).status_code == 404
    assert client.get("/api/v1/patients/999999/diagnosis", headers=pharmacist).status_code == 404
    none_yet = client.get(f"/api/v1/patients/{patient}/diagnosis", headers=pharmacist)
    assert none_yet.status_code == 404 and "no diagnostic assessment" in none_yet.json()["detail"]
    assert (
        client.get(
            f"/api/v1/patients/{patient}/diagnosis?on=9999-01-01", headers=pharmacist
        ).status_code
        == 422
    )


def test_viewers_and_nurses_read_pharmacists_and_admins_record(client, api_as, patient):
    body = {"assessed_on": iso(TODAY), "weak_nerves": 1}
    for role in ("viewer", "nurse"):
        headers = api_as(role, f"dx.{role}")
        refused = post(client, headers, patient, body)
        assert refused.status_code == 403 and "role" in refused.json()["detail"]
    assert post(client, api_as("admin", "dx.admin"), patient, body).status_code == 201
    for role in ("viewer", "nurse"):
        assert (
            client.get(
                f"/api/v1/patients/{patient}/diagnosis", headers=api_as(role, f"dx.{role}.reader")
            ).status_code
            == 200
        )
    assert client.get(f"/api/v1/patients/{patient}/diagnosis").status_code == 401


# ---- pages ----------------------------------------------------------------------------------


def test_the_form_records_an_assessment_and_the_patient_page_shows_the_panel(
    client, make_user, pharmacist, patient, session
):
    log_in(client, make_user, "pharmacist", "dx.page")
    page = client.get(f"/patients/{patient}")
    assert "No diagnostic assessment recorded." in page.text
    assert f'href="/patients/{patient}/diagnosis/new"' in page.text
    form_url = f"/patients/{patient}/diagnosis/new"
    form = client.get(form_url)
    assert form.status_code == 200
    assert '<option value="" selected>Not known</option>' in form.text
    answer = post_form(
        client,
        form_url,
        form_url,
        {
            "assessed_on": iso(TODAY),
            "symptom_onset_on": iso(TODAY - timedelta(days=100)),
            "weak_nerves": "2",
            "weakness_over_1_month": "",
            "definite_block_nerves": "",
            "probable_block_segments": "2",
            "sensory_conduction_normal": "true",
            "upper_motor_neuron_signs": "false",
            "marked_bulbar": "false",
            "sensory_beyond_minor_vibration": "false",
            "diffuse_symmetric_early_weakness": "false",
            "anti_gm1_igm_raised": "",
            "notes": "Grip weak on the left",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/patients/{patient}#diagnosis"
    row = session.exec(select(DiagnosticAssessment)).one()
    assert row.weak_nerves == 2 and row.weakness_over_1_month is None
    assert row.sensory_conduction_normal is True and row.marked_bulbar is False
    assert row.anti_gm1_igm_raised is None and row.notes == "Grip weak on the left"
    panel = client.get(f"/patients/{patient}").text
    assert "Incomplete</span>: could be definite or probable" in panel
    assert "<li>Motor nerves with definite conduction block</li>" in panel
    assert "Weakness in 2 or more nerve territories without sensory loss" in panel
    assert "Normal sensory nerve conduction" in panel
    assert "Upper motor neuron signs (exclusion)" in panel
    assert "Yes, from the symptom onset" in panel
    assert "Not known: no score series has a value before" in panel
    assert "No course given yet" in panel
    # The form starts from the latest assessment.
    again = client.get(form_url).text
    assert 'value="2"' in again and '<option value="true" selected>Yes</option>' in again


def test_the_panel_says_the_improvement_was_derived_and_the_delay_to_first_ivig(
    client, make_user, pharmacist, patient, api_as
):
    nurse = api_as("nurse", "dx.nurse")
    first = TODAY - timedelta(days=30)
    score(client, nurse, patient, first, 60, "pre_infusion")
    give(client, pharmacist, patient, first)
    score(client, nurse, patient, first + timedelta(days=14), 70, "clinic")
    post(
        client,
        pharmacist,
        patient,
        ONE_SUPPORTIVE_SHORT
        | {"assessed_on": iso(TODAY), "symptom_onset_on": iso(first - timedelta(days=120))},
    )
    log_in(client, make_user, "viewer", "dx.viewer.page")
    panel = client.get(f"/patients/{patient}").text
    assert "Probable MMN" in panel
    assert "Yes, derived from the scores after the first course" in panel
    assert "120 days (first course" in panel
    assert f'href="/patients/{patient}/diagnosis/new"' not in panel  # viewers do not record


def test_the_form_shows_each_error_beside_its_field(client, make_user, patient, session):
    log_in(client, make_user, "pharmacist", "dx.errors")
    form_url = f"/patients/{patient}/diagnosis/new"
    answer = post_form(
        client,
        form_url,
        form_url,
        {"assessed_on": iso(TODAY), "weak_nerves": "99", "marked_bulbar": "perhaps"},
    )
    assert answer.status_code == 422
    assert 'id="e-weak_nerves"' in answer.text and 'id="e-marked_bulbar"' in answer.text
    assert 'value="99"' in answer.text  # the typed value is kept
    future = post_form(
        client,
        form_url,
        form_url,
        {
            "assessed_on": iso(TODAY - timedelta(days=3)),
            "symptom_onset_on": iso(TODAY - timedelta(days=2)),
        },
    )
    assert future.status_code == 422 and 'id="e-symptom_onset_on"' in future.text
    assert session.exec(select(DiagnosticAssessment)).first() is None
    # Without the form's CSRF token nothing is recorded.
    assert client.post(form_url, data={"assessed_on": iso(TODAY)}).status_code == 403


def test_nurses_cannot_open_or_post_the_form(client, make_user, patient):
    log_in(client, make_user, "nurse", "dx.nurse.page")
    form_url = f"/patients/{patient}/diagnosis/new"
    assert client.get(form_url).status_code == 403
    token = csrf_of(client.get(f"/patients/{patient}").text)
    assert (
        client.post(form_url, data={"csrf_token": token, "assessed_on": iso(TODAY)}).status_code
        == 403
    )
