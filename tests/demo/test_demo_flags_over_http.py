"""The demo's non-responder and refractory patient, read back through the HTTP API.

Section 11 of the clinical rules: `no_response` for a first regimen of 3 or more courses that
improved no series by its MCID, `refractory` for waning at or above the intensity cap after
2 completed cycles of that regimen. The demo's NO_RESPONSE and REFRACTORY archetypes are
built to raise them; DOSE_CAP (progressive waning at exactly the cap) is refractory too, and
no other archetype raises either flag.
"""

from datetime import date

import pytest
from sqlmodel import select

from tracker.demo import load_demo
from tracker.services.evaluation import refresh_all
from tracker.store.models import Patient

# (patients, seed, evaluation day): the default size, the smallest that holds every
# archetype, and another seed and day.
COHORTS = [(40, 1, date(2026, 6, 10)), (10, 5, date(2025, 9, 15)), (40, 7, date(2027, 2, 3))]
# The archetypes that each flag must be on for, and off for every other one.
FLAGGED = {"no_response": {"no_response"}, "refractory": {"refractory", "dose_cap"}}
MCID = {"grip_vigorimeter": 8, "mrc_sum": 2}


@pytest.fixture(params=COHORTS, ids=lambda c: f"{c[0]}-seed{c[1]}-{c[2]}")
def cohort(request, session):
    """A demo cohort in the test's transaction, its states stored for the day."""
    patients, seed, day = request.param
    summary = load_demo(session, patients=patients, seed=seed, today=day, zone="UTC")
    refresh_all(session, today=day)
    session.commit()
    ids = {p.mrn: p.id for p in session.exec(select(Patient))}
    kinds = {ids[mrn]: kind for mrn, kind in summary.archetype_of.items()}
    return day, kinds


def test_only_the_non_responder_and_the_patients_at_the_cap_get_the_new_flags(
    client, api_as, cohort
):
    day, kinds = cohort
    headers = api_as("viewer")
    assert list(kinds.values()).count("no_response") == 1
    assert list(kinds.values()).count("refractory") == 1
    for pid, kind in kinds.items():
        body = client.get(f"/api/v1/patients/{pid}/schedule?on={day}", headers=headers).json()
        codes = {f["code"] for f in body["flags"]}
        for flag, archetypes in FLAGGED.items():
            assert (flag in codes) == (kind in archetypes), (pid, kind, body["flags"])
    for flag, archetypes in FLAGGED.items():
        page = client.get(
            f"/api/v1/worklist?flag={flag}&on={day}&limit=100", headers=headers
        ).json()
        assert {item["patient_id"] for item in page["items"]} == {
            pid for pid, kind in kinds.items() if kind in archetypes
        }, flag
        assert page["total"] == len(archetypes)
        assert all(flag in {f["code"] for f in item["flags"]} for item in page["items"])


def test_the_non_responder(client, api_as, cohort):
    day, kinds = cohort
    headers = api_as("viewer")
    pid = next(p for p, kind in kinds.items() if kind == "no_response")
    body = client.get(f"/api/v1/patients/{pid}/schedule?on={day}", headers=headers).json()
    assert "no_response" in {f["code"] for f in body["flags"]}
    # Nothing wears off or declines: no waning and no action; no review due yet either.
    assert not {f["code"] for f in body["flags"]} & {"waning_response", "review_due"}
    assert body["recommendation"] is None

    # One regimen (the trial), at least 3 courses of it, and a baseline before the first.
    regimens = client.get(f"/api/v1/patients/{pid}/regimens", headers=headers).json()
    assert len(regimens) == 1 and regimens[0]["dose_g_per_kg"] == 2.0
    courses = client.get(f"/api/v1/patients/{pid}/infusions", headers=headers).json()
    given = sorted(date.fromisoformat(c["scheduled_on"]) for c in courses if c["status"] == "given")
    assert len(given) >= 3 and (day - given[0]).days <= 150
    scores = client.get(f"/api/v1/patients/{pid}/assessments", headers=headers).json()
    series = {(s["measure"], s["side"]) for s in scores if s["measure"] in MCID}
    assert len(series) == 3  # both hands' grip and the MRC sum
    for measure, side in series:
        values = [
            (date.fromisoformat(s["taken_on"]), s["value"])
            for s in scores
            if (s["measure"], s["side"]) == (measure, side)
        ]
        before = [v for d, v in values if d < given[0]]
        assert before, (measure, side)  # the referral's baseline
        baseline = [v for d, v in values if d <= given[0]][-1]
        best = max(v for d, v in values if d > given[0])
        assert best - baseline < MCID[measure], (measure, side, baseline, best)


def test_the_refractory_patient(client, api_as, cohort):
    day, kinds = cohort
    headers = api_as("viewer")
    pid = next(p for p, kind in kinds.items() if kind == "refractory")
    body = client.get(f"/api/v1/patients/{pid}/schedule?on={day}", headers=headers).json()
    waning = next(f for f in body["flags"] if f["code"] == "waning_response")
    assert waning["patterns"] == ["end_of_dose"]
    assert "refractory" in {f["code"] for f in body["flags"]}
    assert body["recommendation"]["action"] == "max_dose_reached"
    assert "End-of-dose wear-off" in body["recommendation"]["reason"]
    assert body["regimen_id"] is not None

    # The current regimen is above the cap with an override reason, after one at the cap,
    # and has at least 2 completed cycles (3 courses given since it started).
    regimens = client.get(f"/api/v1/patients/{pid}/regimens", headers=headers).json()
    regimens.sort(key=lambda r: r["starts_on"])
    current, previous = regimens[-1], regimens[-2]
    assert current["id"] == body["regimen_id"]
    assert (current["dose_g_per_kg"], current["interval_days"]) == (2.0, 21)
    assert current["intensity_g_per_kg_28d"] > 2.4 and current["override_reason"]
    assert previous["intensity_g_per_kg_28d"] == pytest.approx(2.4)
    assert previous["override_reason"] is None
    courses = client.get(f"/api/v1/patients/{pid}/infusions", headers=headers).json()
    since = [
        c for c in courses if c["status"] == "given" and c["scheduled_on"] >= current["starts_on"]
    ]
    assert len(since) >= 3
