"""A patient's diagnosis by the EFNS/PNS criteria (clinical rules 7)."""

from typing import Annotated

from fastapi import Query, Request

from tracker.schemas.common import Day
from tracker.schemas.diagnosis import DiagnosisCreate, DiagnosisRead
from tracker.services import audit
from tracker.services import diagnosis as diagnosis_service
from tracker.services import patients as patient_service
from tracker.services.errors import NotFound
from tracker.web.deps import ApiPharmacist, ApiUser, DbSession, IdPath, Today, actor, writes_on_get
from tracker.web.routing import Router

router = Router(prefix="/api/v1/patients", tags=["diagnosis"])


@router.post("/{patient_id}/diagnosis", status_code=201, response_model=DiagnosisRead)
def record_diagnosis(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: DiagnosisCreate,
):
    """Record a diagnostic assessment; the answer classifies it on its own day."""
    row = diagnosis_service.record_diagnosis(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return diagnosis_service.diagnosis_view(db, row, on=row.assessed_on)


@router.get("/{patient_id}/diagnosis", response_model=DiagnosisRead)
@writes_on_get
def read_diagnosis(
    request: Request,
    db: DbSession,
    user: ApiUser,
    today: Today,
    patient_id: IdPath,
    on: Annotated[Day | None, Query()] = None,
):
    """The latest diagnostic assessment, classified on `on` (default today); 404 when none."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="diagnosis")
    view = diagnosis_service.latest_diagnosis(db, patient_id=patient_id, on=on or today)
    if view is None:
        raise NotFound(f"no diagnostic assessment for patient {patient_id}")
    return view
