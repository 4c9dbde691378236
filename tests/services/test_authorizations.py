"""Funding authorisations in the services: the sweep's packed reading agrees with the full
evaluation, the worklist's funding tabs agree with the original queries, the digest lists
them, and the funding check reads the stored courses."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.packed import as_swept, packed_of
from tests.builders.records import patient_with_regimen
from tests.builders.settings import mail_settings
from tests.services import reference_worklist
from tracker.demo import load_demo
from tracker.rules import evaluate_packed
from tracker.rules.expiry import patient_expires_on
from tracker.schemas.authorizations import AuthorizationCreate
from tracker.services import authorizations, digest, outbox, worklist
from tracker.services.actors import SYSTEM
from tracker.services.evaluation import evaluate_patient, load_facts, read_packed, refresh_all
from tracker.services.policy import load_policy
from tracker.services.state_rows import latest_expiry, state_values
from tracker.store.models import OutboxMessage, Patient, PatientState, SitePolicyRow

TODAY = date(2026, 11, 21)


def _authorize(session, pid, reference, starts, ends, **limits):
    return authorizations.create_authorization(
        session,
        actor=SYSTEM,
        patient_id=pid,
        today=TODAY,
        data=AuthorizationCreate(
            payer="NHS England",
            reference=reference,
            starts_on=TODAY + timedelta(days=starts),
            ends_on=TODAY + timedelta(days=ends),
            **limits,
        ),
    )


@pytest.fixture
def funded_cohort(session):
    """A demo cohort, authorisations of every shape on most of its patients, and a site that
    requires them."""
    # Without the demo's own authorisations and policy: the shapes below are the whole story.
    load_demo(session, patients=40, seed=4, today=TODAY, zone="UTC", funding=False)
    shapes = [
        {"starts": -400, "ends": 20},  # ending
        {"starts": -400, "ends": 300, "approved_g": 900.0},  # may run out
        {"starts": -400, "ends": -1},  # lapsed: missing
        {"starts": -60, "ends": 300, "approved_courses": 3},
        {"starts": 5, "ends": 400},  # not yet: missing today
        None,  # no authorisation at all
    ]
    ids = session.exec(select(Patient.id).order_by(Patient.id)).all()
    for n, pid in enumerate(ids):
        shape = shapes[n % len(shapes)]
        if shape is not None:
            _authorize(session, pid, f"PA-{pid}", shape["starts"], shape["ends"],
                       **{k: v for k, v in shape.items() if k.startswith("approved")})  # fmt: skip
        if n % 4 == 0:  # a renewal in place for some
            _authorize(session, pid, f"RN-{pid}", 21, 385)
    session.add(SitePolicyRow(id=1, values={"authorizations_required": True}))
    session.flush()
    refresh_all(session, today=TODAY)
    session.flush()
    return session


def test_the_sweep_stores_what_the_full_evaluation_says_about_funding(funded_cohort):
    session = funded_cohort
    refresh_all(session, today=TODAY, batch_size=7)
    patients = session.exec(select(Patient).order_by(Patient.id)).all()
    facts = load_facts(session, patients)
    packed = packed_of(session, patients, TODAY)
    policy = load_policy(session)
    states = {s.patient_id: s for s in session.exec(select(PatientState))}
    raised = set()
    for patient in patients:
        full = evaluate_patient(session, patient_id=patient.id, on=TODAY)
        swept = evaluate_packed(packed[patient.id], on=TODAY, policy=policy)
        assert swept == as_swept(full), patient.id
        stored = states[patient.id].model_dump(exclude={"evaluated_at"})
        # The expiry from the sweep's packed reading equals the one from the full facts.
        expiry = patient_expires_on(
            facts[patient.id], full, policy=policy, latest=latest_expiry(patient.id, TODAY)
        )
        assert stored == state_values(patient.id, full, facts[patient.id].courses, expiry)
        raised |= set(full.flag_codes)
    # The cohort exercises both flags, and the projection.
    assert {"authorization_ending", "authorization_missing"} <= raised
    assert any(
        s.projected_exhausted_on
        for p in patients
        for s in evaluate_patient(session, patient_id=p.id, on=TODAY).authorizations
    )


@pytest.mark.parametrize("shift", [0, 9])
def test_the_funding_tabs_match_the_original_queries(funded_cohort, shift):
    day = TODAY + timedelta(days=shift)
    session = funded_cohort
    assert worklist.view_counts(session, on=day) == reference_worklist.view_counts(session, on=day)
    for chosen in (
        {"flag": "authorization_ending"},
        {"flag": "authorization_missing"},
        {"view": "authorization_ending"},
        {"view": "authorization_missing"},
        {},
    ):
        for offset, limit in ((0, 50), (0, 3), (3, 3)):
            assert worklist.worklist(session, on=day, offset=offset, limit=limit, **chosen) == (
                reference_worklist.worklist(session, on=day, offset=offset, limit=limit, **chosen)
            ), chosen
    total, items = worklist.worklist(session, on=day, flag="authorization_ending", limit=100)
    bites = [i["authorization_ending_on"] for i in items]
    assert total == len(items) > 0 and bites == sorted(bites)


def test_the_digest_lists_the_funding_flags_soonest_first(session):
    ending = patient_with_regimen(
        session, today=TODAY, starts_on=TODAY - timedelta(days=10), mrn="DG-END"
    )
    _authorize(session, ending, "END-1", -10, 12)
    sooner = patient_with_regimen(
        session, today=TODAY, starts_on=TODAY - timedelta(days=10), mrn="DG-SOON"
    )
    _authorize(session, sooner, "END-2", -10, 3)
    session.flush()
    assert digest.queue_digest(session, on=TODAY, settings=mail_settings(), alerts=[])
    (sent,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind == outbox.DIGEST))
    body = sent.body_text
    section = body[body.index("Funding authorisation ending (2)") :]
    assert section.index("MRN DG-SOON") < section.index("MRN DG-END")
    assert "funding stops Tuesday 24 November 2026: authorisation END-2 ends on" in section


def test_the_funding_check_reads_the_stored_courses_and_names_the_reference(session):
    pid = patient_with_regimen(session, today=TODAY, starts_on=TODAY - timedelta(days=10))
    _authorize(session, pid, "CHK-1", -10, 100, approved_g=100.0)
    facts = read_packed(session, patient_id=pid, today=TODAY, policy=load_policy(session))
    ok = authorizations.funding_check(facts, day=TODAY, status="booked", dose_g=None)
    assert ok is None  # the regimen's 70 g fits in 100
    refusal = authorizations.funding_check(facts, day=TODAY, status="booked", dose_g=110.0)
    assert refusal is not None and "CHK-1: 10 g short" in refusal.message
