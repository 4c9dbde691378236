"""Other treatments of MMN besides IVIG: recording one, stopping it, listing a patient's."""

from datetime import date
from typing import Any

from sqlmodel import Session, select

from tracker.schemas.other_treatments import OtherTreatmentCreate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Invalid, NotFound
from tracker.services.patients import get_patient
from tracker.store.models import OtherTreatment, StaffUser

# What a view of a treatment shows (the API's OtherTreatmentRead, the pages).
VIEW_FIELDS = (
    "id",
    "patient_id",
    "kind",
    "description",
    "started_on",
    "stopped_on",
    "notes",
    "recorded_by_id",
    "recorded_at",
)


def record_other_treatment(
    session: Session, *, actor: Actor, patient_id: int, data: OtherTreatmentCreate, today: date
) -> OtherTreatment:
    """Record a treatment besides IVIG; it may not start after today (the site's day)."""
    get_patient(session, patient_id)
    if data.started_on > today:
        raise Invalid(
            "started_on is in the future: record a treatment once it has started",
            field="started_on",
        )
    _check_stop(data.stopped_on, today)
    row = OtherTreatment(patient_id=patient_id, recorded_by_id=actor.id, **data.model_dump())
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="other_treatment.create",
        entity="other_treatment",
        entity_id=row.id,
        patient_id=patient_id,
        changes=data.model_dump(),
    )
    return row


def stop_other_treatment(
    session: Session,
    *,
    actor: Actor,
    treatment_id: int,
    stopped_on: date,
    today: date,
    patient_id: int | None = None,
) -> OtherTreatment:
    """Set the last day of a treatment (again, to correct it); `patient_id` must own it."""
    # Locked: two stops at once must not both read the old day into their audit entries.
    row = session.get(OtherTreatment, treatment_id, with_for_update=True)
    if row is None or (patient_id is not None and row.patient_id != patient_id):
        raise NotFound(f"no other treatment with id {treatment_id}")
    if stopped_on < row.started_on:
        raise Invalid(
            f"stopped_on is before the treatment started ({row.started_on})", field="stopped_on"
        )
    _check_stop(stopped_on, today)
    before = row.stopped_on
    row.stopped_on = stopped_on
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="other_treatment.stop",
        entity="other_treatment",
        entity_id=row.id,
        patient_id=row.patient_id,
        changes={"stopped_on": [before, stopped_on]},
    )
    return row


def other_treatments(session: Session, *, patient_id: int) -> list[dict[str, Any]]:
    """A patient's other treatments as views with who recorded them, by start day."""
    rows = session.exec(
        select(OtherTreatment, StaffUser.username)
        .join(StaffUser, StaffUser.id == OtherTreatment.recorded_by_id, isouter=True)
        .where(OtherTreatment.patient_id == patient_id)
        .order_by(OtherTreatment.started_on, OtherTreatment.id)
    ).all()
    return [_view(row, username) for row, username in rows]


def other_treatment_view(session: Session, row: OtherTreatment) -> dict[str, Any]:
    """One treatment as other_treatments shows it."""
    user = session.get(StaffUser, row.recorded_by_id) if row.recorded_by_id else None
    return _view(row, user.username if user else None)


def _view(row: OtherTreatment, username: str | None) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in VIEW_FIELDS}, "recorded_by": username}


def _check_stop(stopped_on: date | None, today: date) -> None:
    # A stop is a fact, like the start: a planned last day is recorded once it has come.
    if stopped_on is not None and stopped_on > today:
        raise Invalid(
            "stopped_on is in the future: record the stop once it has happened", field="stopped_on"
        )
