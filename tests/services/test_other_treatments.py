"""Treatments besides IVIG: recording, stopping, listing (services/other_treatments.py)."""

from datetime import date, timedelta

import pytest

from tests.builders import rows
from tracker.schemas.other_treatments import OtherTreatmentCreate
from tracker.services import other_treatments
from tracker.services.actors import Actor
from tracker.services.errors import Invalid, NotFound

TODAY = date(2026, 3, 2)


@pytest.fixture
def pharmacist(make_user) -> Actor:
    user = make_user("pat.pharmacist", "pharmacist")
    return Actor(id=user.id, username=user.username, role=user.role)


def _record(session, actor, patient_id, started_on, kind="rituximab", **more):
    return other_treatments.record_other_treatment(
        session,
        actor=actor,
        patient_id=patient_id,
        today=TODAY,
        data=OtherTreatmentCreate(kind=kind, started_on=started_on, **more),
    )


def test_a_patients_treatments_are_listed_by_start_with_who_recorded_them(session, pharmacist):
    patient = rows.add_patient(session, "OT-1")
    other = rows.add_patient(session, "OT-2")
    later = _record(session, pharmacist, patient.id, TODAY - timedelta(days=10))
    earlier = _record(
        session,
        pharmacist,
        patient.id,
        TODAY - timedelta(days=300),
        kind="cyclophosphamide",
        stopped_on=TODAY - timedelta(days=200),
    )
    _record(session, pharmacist, other.id, TODAY)

    listed = other_treatments.other_treatments(session, patient_id=patient.id)

    assert [t["id"] for t in listed] == [earlier.id, later.id]
    assert listed[0]["kind"] == "cyclophosphamide" and listed[0]["recorded_by"] == "pat.pharmacist"
    assert other_treatments.other_treatment_view(session, later) == listed[1]


def test_a_treatment_is_recorded_once_it_has_started_and_stopped_only_once_it_has(
    session,
    pharmacist,
):
    patient = rows.add_patient(session, "OT-3")
    with pytest.raises(Invalid) as refused:
        _record(session, pharmacist, patient.id, TODAY + timedelta(days=1))
    assert refused.value.field == "started_on"
    with pytest.raises(Invalid) as refused:
        _record(session, pharmacist, patient.id, TODAY, stopped_on=TODAY + timedelta(days=1))
    assert refused.value.field == "stopped_on"
    with pytest.raises(NotFound):
        _record(session, pharmacist, 999_999, TODAY)


def test_stopping_sets_the_last_day_and_checks_it(session, pharmacist):
    patient = rows.add_patient(session, "OT-4")
    other = rows.add_patient(session, "OT-5")
    started = TODAY - timedelta(days=30)
    row = _record(session, pharmacist, patient.id, started)

    def stop(on, owner=patient.id):
        return other_treatments.stop_other_treatment(
            session,
            actor=pharmacist,
            treatment_id=row.id,
            stopped_on=on,
            today=TODAY,
            patient_id=owner,
        )

    with pytest.raises(Invalid, match="before the treatment started"):
        stop(started - timedelta(days=1))
    with pytest.raises(Invalid, match="future"):
        stop(TODAY + timedelta(days=1))
    with pytest.raises(NotFound):
        stop(TODAY, owner=other.id)  # another patient's treatment is not found
    assert stop(TODAY - timedelta(days=2)).stopped_on == TODAY - timedelta(days=2)
    assert stop(TODAY).stopped_on == TODAY  # a correction
