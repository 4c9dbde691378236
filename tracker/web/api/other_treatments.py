"""Other treatments of MMN besides IVIG: recording, stopping, listing a patient's."""

from fastapi import Request

from tracker.schemas.other_treatments import (
    OtherTreatmentCreate,
    OtherTreatmentRead,
    OtherTreatmentStop,
)
from tracker.services import audit
from tracker.services import other_treatments as treatment_service
from tracker.services import patients as patient_service
from tracker.web.deps import ApiPharmacist, ApiUser, DbSession, IdPath, Today, actor, writes_on_get
from tracker.web.routing import Router

router = Router(prefix="/api/v1", tags=["other treatments"])


@router.post(
    "/patients/{patient_id}/other-treatments", status_code=201, response_model=OtherTreatmentRead
)
def record_other_treatment(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: OtherTreatmentCreate,
):
    """Record a treatment besides IVIG (cyclophosphamide, rituximab, a trial drug, other)."""
    row = treatment_service.record_other_treatment(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return treatment_service.other_treatment_view(db, row)


@router.get("/patients/{patient_id}/other-treatments", response_model=list[OtherTreatmentRead])
@writes_on_get
def list_other_treatments(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """A patient's other treatments, by start day."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="other treatments"
    )
    return treatment_service.other_treatments(db, patient_id=patient_id)


@router.post("/other-treatments/{treatment_id}/stop", response_model=OtherTreatmentRead)
def stop_other_treatment(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    treatment_id: IdPath,
    body: OtherTreatmentStop,
):
    """Set the treatment's last day (422 before its start or after today)."""
    row = treatment_service.stop_other_treatment(
        db,
        actor=actor(request, user),
        treatment_id=treatment_id,
        stopped_on=body.stopped_on,
        today=today,
    )
    return treatment_service.other_treatment_view(db, row)
