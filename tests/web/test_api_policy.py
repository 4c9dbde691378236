"""PUT /api/v1/policy refuses what would switch a safeguard off, and queues the re-evaluation."""

from dataclasses import fields
from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import patient_with_regimen
from tracker.rules import SitePolicy
from tracker.services.policy import load_policy
from tracker.store.models import AuditEvent, PatientState, SitePolicyRow

TODAY = date.today()
DAY_KEYS = [f.name for f in fields(SitePolicy) if f.name.endswith("_days")]


@pytest.fixture
def admin(api_as):
    return api_as("admin")


@pytest.mark.parametrize("key", DAY_KEYS)
def test_a_huge_day_count_is_a_422_naming_the_key_and_its_range(client, admin, key):
    answer = client.put("/api/v1/policy", headers=admin, json={key: 99999999})
    assert answer.status_code == 422, answer.text
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["body", key]
    described = SitePolicy.describe()[key]["range"]
    assert key in detail["msg"] and described in detail["msg"]


def test_the_brief_500_is_a_422_and_the_policy_unchanged(client, admin):
    answer = client.put("/api/v1/policy", headers=admin, json={"max_interval_days": 99999999})
    assert answer.status_code == 422
    assert "14 to 84 days" in answer.json()["detail"][0]["msg"]
    assert client.get("/api/v1/policy", headers=admin).json()["max_interval_days"] == 42


def test_a_cap_of_1e300_is_refused_and_a_5_g_per_kg_weekly_regimen_still_needs_a_reason(
    client,
    admin,
    api_as,
):
    answer = client.put(
        "/api/v1/policy",
        headers=admin,
        json={"max_intensity_g_per_kg_28d": 1e300, "min_interval_days": 7},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "max_intensity_g_per_kg_28d"]
    pharmacist = api_as("pharmacist")
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=30))
    weekly = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={"starts_on": TODAY.isoformat(), "dose_g_per_kg": 5, "interval_days": 7},
    )
    assert weekly.status_code == 422
    assert "override_reason" in weekly.json()["detail"][0]["msg"]


def test_a_cap_above_the_label_needs_a_reason_in_the_same_change(client, admin, session):
    refused = client.put("/api/v1/policy", headers=admin, json={"max_intensity_g_per_kg_28d": 3.0})
    assert refused.status_code == 422
    (detail,) = refused.json()["detail"]
    assert detail["loc"] == ["body", "max_intensity_g_per_kg_28d"]
    assert '"reason"' in detail["msg"] and "2.4" in detail["msg"]
    reason = "refractory MMN cohort, approved by the immunoglobulin panel on 2026-12-01"
    kept = client.put(
        "/api/v1/policy", headers=admin, json={"max_intensity_g_per_kg_28d": 3.0, "reason": reason}
    )
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert body["max_intensity_g_per_kg_28d"] == 3.0 and body["max_intensity_reason"] == reason
    assert session.get(SitePolicyRow, 1).max_intensity_reason == reason
    entry = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "policy.update")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert entry.changes["reason"] == reason
    assert entry.changes["max_intensity_g_per_kg_28d"] == [2.4, 3.0]
    # Other changes later need no new reason; the cap back at the label forgets it.
    assert (
        client.put("/api/v1/policy", headers=admin, json={"due_tolerance_days": 4}).json()[
            "max_intensity_reason"
        ]
        == reason
    )
    back = client.put("/api/v1/policy", headers=admin, json={"max_intensity_g_per_kg_28d": 2.4})
    assert back.status_code == 200 and back.json()["max_intensity_reason"] is None


@pytest.mark.parametrize("reason", [123, "x" * 501])
def test_a_reason_must_be_short_text(client, admin, reason):
    answer = client.put(
        "/api/v1/policy", headers=admin, json={"max_intensity_g_per_kg_28d": 3.0, "reason": reason}
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "reason"]


def test_the_answer_says_the_re_evaluation_is_queued_and_nothing_is_re_evaluated_yet(
    client,
    admin,
    api_as,
    session,
):
    pharmacist = api_as("pharmacist")
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=30))
    session.expire_all()
    before = session.get(PatientState, pid).window_end
    answer = client.put("/api/v1/policy", headers=admin, json={"due_tolerance_days": 7})
    assert answer.status_code == 200
    assert answer.json()["re_evaluation"] == (
        "queued: every patient is re-evaluated by the scheduler's next run"
    )
    session.expire_all()
    assert session.get(PatientState, pid).window_end == before
    assert session.get(SitePolicyRow, 1).re_evaluation_queued_at is not None


def test_units_are_choices_and_need_no_re_evaluation(client, admin):
    answer = client.put(
        "/api/v1/policy", headers=admin, json={"weight_unit": "lb", "height_unit": "in"}
    )
    assert answer.status_code == 200
    assert answer.json()["re_evaluation"].startswith("not needed")
    bad = client.put("/api/v1/policy", headers=admin, json={"weight_unit": "stone"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "weight_unit"]


def test_a_value_stored_before_ranges_were_checked_falls_back_to_its_default(session, caplog):
    session.add(
        SitePolicyRow(id=1, values={"max_intensity_g_per_kg_28d": 1e300, "due_tolerance_days": 4})
    )
    session.flush()
    policy = load_policy(session)
    assert policy.max_intensity_g_per_kg_28d == 2.4 and policy.due_tolerance_days == 4
    assert "max_intensity_g_per_kg_28d" in caplog.text


def test_the_document_declares_the_policy_body_as_the_rules_check_it(app, client, admin):
    # Every key with its type and range from the rules, a reason, and nothing else: the
    # server refuses an unknown key (422 naming it), and the document says so.
    body = app.openapi()["paths"]["/api/v1/policy"]["put"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {f.name for f in fields(SitePolicy)} | {"reason"}
    for name, described in SitePolicy.describe().items():
        declared = schema["properties"][name]
        if described["choices"] and declared["type"] == "string":
            assert declared["enum"] == described["choices"]
        elif described["min"] is not None:
            assert declared["type"] in ("integer", "number")
            low = declared.get("minimum", declared.get("exclusiveMinimum"))
            high = declared.get("maximum", declared.get("exclusiveMaximum"))
            assert (low, high) == (described["min"], described["max"]), name
        else:
            assert declared["type"] == "boolean"
    assert schema["properties"]["min_interval_days"]["type"] == "integer"
    assert schema["properties"]["escalate_factor"]["exclusiveMinimum"] == 1
    refused = client.put("/api/v1/policy", headers=admin, json={"sleep_hours": 8})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "sleep_hours"]
    read = app.openapi()["paths"]["/api/v1/policy"]["get"]["responses"]["200"]["content"]
    assert read["application/json"]["schema"] == {"$ref": "#/components/schemas/PolicyRead"}
