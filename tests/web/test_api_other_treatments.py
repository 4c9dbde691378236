"""Other treatments through the JSON API: record, list, stop; roles, bounds and the audit."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import select

from tests.builders.api import iso
from tracker.settings import Settings
from tracker.store.models import AuditEvent, OtherTreatment

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist", "pam.other")


@pytest.fixture
def pid(client, pharmacist) -> int:
    answer = client.post(
        "/api/v1/patients",
        headers=pharmacist,
        json={
            "mrn": "OT-1",
            "given_name": "Otto",
            "family_name": "Other",
            "birth_date": "1966-06-06",
            "sex": "male",
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def record(client, headers, pid, **body):
    body = {"kind": "rituximab", "started_on": iso(TODAY - timedelta(days=100))} | body
    return client.post(f"/api/v1/patients/{pid}/other-treatments", headers=headers, json=body)


def test_record_list_and_stop(client, pharmacist, api_as, pid, session):
    made = record(client, pharmacist, pid, notes="375 mg/m2 weekly x4")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["kind"] == "rituximab" and body["description"] == ""
    assert body["stopped_on"] is None and body["notes"] == "375 mg/m2 weekly x4"
    assert body["recorded_by"] == "pam.other" and body["patient_id"] == pid
    trial = record(
        client,
        pharmacist,
        pid,
        kind="trial_drug",
        description="ARGX-117 (trial)",
        started_on=iso(TODAY - timedelta(days=400)),
        stopped_on=iso(TODAY - timedelta(days=200)),
    )
    assert trial.status_code == 201, trial.text

    viewer = api_as("viewer", "vic.other")
    listed = client.get(f"/api/v1/patients/{pid}/other-treatments", headers=viewer)
    assert listed.status_code == 200
    assert [(t["kind"], t["description"]) for t in listed.json()] == [
        ("trial_drug", "ARGX-117 (trial)"),
        ("rituximab", ""),
    ]  # by start day

    stop = iso(TODAY - timedelta(days=10))
    stopped = client.post(
        f"/api/v1/other-treatments/{body['id']}/stop", headers=pharmacist, json={"stopped_on": stop}
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["stopped_on"] == stop and stopped.json()["id"] == body["id"]
    session.expire_all()
    assert session.get(OtherTreatment, body["id"]).stopped_on == TODAY - timedelta(days=10)


def test_writes_and_reads_are_audited(client, pharmacist, pid, session):
    made = record(client, pharmacist, pid).json()
    client.post(
        f"/api/v1/other-treatments/{made['id']}/stop",
        headers=pharmacist,
        json={"stopped_on": iso(TODAY)},
    )
    client.get(f"/api/v1/patients/{pid}/other-treatments", headers=pharmacist)
    entries = session.exec(
        select(AuditEvent).where(AuditEvent.patient_id == pid).order_by(AuditEvent.id)
    ).all()
    create, stop, view = entries[-3:]
    assert (create.action, create.entity, create.entity_id) == (
        "other_treatment.create",
        "other_treatment",
        str(made["id"]),
    )
    assert create.changes["kind"] == "rituximab" and create.actor_name == "pam.other"
    assert stop.action == "other_treatment.stop"
    assert stop.changes == {"stopped_on": [None, iso(TODAY)]}
    assert view.action == "patient.view" and view.changes == {"viewed": "other treatments"}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"kind": "trial_drug"}, "description"),
        ({"kind": "other", "description": "   "}, "description"),
        ({"kind": "ivig"}, "kind"),
        ({"description": "x" * 201}, "description"),
        ({"notes": "x" * 2001}, "notes"),
        ({"started_on": "1850-01-01"}, "started_on"),
        ({"started_on": iso(TODAY + timedelta(days=1))}, "started_on"),
        ({"stopped_on": iso(TODAY - timedelta(days=101))}, "stopped_on"),
        ({"stopped_on": iso(TODAY + timedelta(days=1))}, "stopped_on"),
        ({"dose_mg": 375}, "dose_mg"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, pharmacist, pid, session, body, field):
    answer = record(client, pharmacist, pid, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", field]
    assert session.exec(select(OtherTreatment)).all() == []


def test_a_stop_before_the_start_or_after_today_is_refused(client, pharmacist, pid):
    made = record(client, pharmacist, pid).json()
    for day in (TODAY - timedelta(days=101), TODAY + timedelta(days=1)):
        answer = client.post(
            f"/api/v1/other-treatments/{made['id']}/stop",
            headers=pharmacist,
            json={"stopped_on": iso(day)},
        )
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "stopped_on"]
    missing = client.post(
        f"/api/v1/other-treatments/{made['id']}/stop", headers=pharmacist, json={}
    )
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == [
        "body",
        "stopped_on",
    ]


def test_unknown_ids_are_404(client, pharmacist):
    assert record(client, pharmacist, 999_999).status_code == 404
    assert (
        client.get("/api/v1/patients/999999/other-treatments", headers=pharmacist).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/other-treatments/999999/stop",
            headers=pharmacist,
            json={"stopped_on": iso(TODAY)},
        ).status_code
        == 404
    )


def test_pharmacists_write_and_everyone_reads(client, api_as, pharmacist, pid):
    made = record(client, pharmacist, pid).json()
    for role in ("viewer", "nurse"):
        headers = api_as(role, f"{role}.other")
        assert record(client, headers, pid).status_code == 403
        assert (
            client.post(
                f"/api/v1/other-treatments/{made['id']}/stop",
                headers=headers,
                json={"stopped_on": iso(TODAY)},
            ).status_code
            == 403
        )
        assert (
            client.get(f"/api/v1/patients/{pid}/other-treatments", headers=headers).status_code
            == 200
        )
    admin = api_as("admin", "ada.other")
    assert record(client, admin, pid, kind="cyclophosphamide").status_code == 201
    assert client.get(f"/api/v1/patients/{pid}/other-treatments").status_code == 401


def test_today_is_the_site_zones_day(connection, pharmacist, pid):
    from tracker.web.app import create_app

    # 12:00 UTC on 1 March is already 01:00 on 2 March in Auckland (UTC+13 in summer).
    zoned = Settings(
        env="test",
        secret_key="test-secret-key-for-the-suite-0123456789",
        timezone="Pacific/Auckland",
    )
    with (
        time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False),
        TestClient(create_app(zoned, connection), base_url="http://testserver") as auckland,
    ):
        assert record(auckland, pharmacist, pid, started_on="2026-03-02").status_code == 201
        late = record(auckland, pharmacist, pid, started_on="2026-03-03")
        assert late.status_code == 422 and late.json()["detail"][0]["loc"] == ["body", "started_on"]
