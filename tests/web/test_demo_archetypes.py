"""The demo cohort's stories, read back through the HTTP API and the patient pages."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.builders.pages import log_in
from tracker.demo import load_demo
from tracker.services.evaluation import refresh_all
from tracker.store.models import Assessment, Infusion, Patient

# What each archetype's story calls for: (waning patterns, recommended actions). Wear-off
# on an interval that cannot shorten further (the minimum, or the cap) escalates the dose.
EXPECTED = {
    "stable": ((), {None}),
    "wear_off": (("end_of_dose",), {"shorten_interval", "escalate_dose"}),
    "progressive": (("progressive",), {"escalate_dose"}),
    "dose_cap": (("progressive",), {"max_dose_reached"}),
    "long_stable": ((), {"consider_taper"}),
    "new_start": ((), {None}),
    "booked_ahead": ((), {None}),
    "on_hold": ((), {None}),
    "no_response": ((), {None}),
    "refractory": (("end_of_dose",), {"max_dose_reached"}),
}


@pytest.fixture
def cohort(session):
    today = datetime.now(UTC).date()
    summary = load_demo(session, patients=40, seed=1, today=today, zone="UTC")
    refresh_all(session, today=today)
    session.commit()
    ids = {p.mrn: p.id for p in session.exec(select(Patient))}
    return summary, ids


def test_every_archetype_gets_the_flags_and_action_its_story_calls_for(client, api_as, cohort):
    summary, ids = cohort
    headers = api_as("viewer")
    seen = set()
    for mrn, archetype in summary.archetype_of.items():
        body = client.get(f"/api/v1/patients/{ids[mrn]}/schedule", headers=headers).json()
        # The diary keeper whose home grips wear off (a stable patient in the clinic's eyes).
        at_home = mrn == summary.wear_off_at_home
        patterns, action = EXPECTED["wear_off" if at_home else archetype]
        waning = [f for f in body["flags"] if f["code"] == "waning_response"]
        assert tuple(waning[0]["patterns"] if waning else ()) == patterns, (mrn, archetype, body)
        assert (body["recommendation"] or {}).get("action") in action, (mrn, archetype, body)
        if archetype == "wear_off" or at_home:
            assert "End-of-dose wear-off" in body["recommendation"]["reason"]
        if archetype == "on_hold":
            assert body["flags"] == []
        if archetype == "booked_ahead":
            assert body["next_booking"] is not None
            assert body["next_booking"]["scheduled_on"] >= body["on"]
        seen.add(archetype)
    assert seen == set(EXPECTED)


def test_worklist_of_the_demo_has_every_kind_of_work(client, api_as, cohort):
    headers = api_as("viewer")
    counts = {}
    for flag in (
        "overdue",
        "needs_booking",
        "booking_outside_window",
        "waning_response",
        "review_due",
        "weight_stale",
    ):
        page = client.get(f"/api/v1/worklist?flag={flag}&limit=100", headers=headers).json()
        assert all(flag in [f["code"] for f in item["flags"]] for item in page["items"])
        counts[flag] = page["total"]
    assert all(n >= 1 for n in counts.values()), counts
    # Wear-off, progressive, at the cap (progressive), refractory (end-of-dose) and the
    # diary keeper whose home readings wear off.
    assert counts["waning_response"] == 8 + 6 + 1 + 1 + 1
    taper = client.get("/api/v1/worklist?action=consider_taper", headers=headers).json()
    assert taper["total"] == 2


def test_a_demo_patient_page_shows_every_course_and_score(client, make_user, cohort, session):
    summary, ids = cohort
    mrn = max(
        summary.archetype_of,
        key=lambda m: (
            session.exec(select(Infusion).where(Infusion.patient_id == ids[m])).all().__len__()
        ),
    )
    pid = ids[mrn]
    given = session.exec(
        select(Infusion).where(Infusion.patient_id == pid, Infusion.status == "given")
    ).all()
    scores = session.exec(select(Assessment).where(Assessment.patient_id == pid)).all()
    assert len(given) >= 30 and len(scores) >= 100  # about 3 years of history
    log_in(client, make_user, "viewer")
    # The whole history on the timeline's "All" range (the page's default is the last year).
    page = client.get(f"/patients/{pid}?range=all").text
    assert page.count('class="tl-course tl-given"') == len(given)
    assert page.count('class="tl-point ') == len(scores)
