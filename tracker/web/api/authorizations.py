"""Funding authorisations (clinical rules 8): recording, correcting and reading a patient's."""

from typing import Annotated

from fastapi import Query, Request

from tracker.schemas.authorizations import (
    AuthorizationCreate,
    AuthorizationRead,
    AuthorizationUpdate,
)
from tracker.schemas.common import Day
from tracker.services import audit
from tracker.services import authorizations as authorization_service
from tracker.services import patients as patient_service
from tracker.web.deps import ApiPharmacist, ApiUser, DbSession, IdPath, Today, actor, writes_on_get
from tracker.web.routing import Router

router = Router(prefix="/api/v1", tags=["authorizations"])


@router.post(
    "/patients/{patient_id}/authorizations", status_code=201, response_model=AuthorizationRead
)
def record_authorization(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: AuthorizationCreate,
):
    """Record a funding authorisation (422 naming `ends_on` when it ends before it starts);
    the answer carries its figures today."""
    row = authorization_service.create_authorization(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return authorization_service.authorization_view(db, row, on=today)


@router.get("/patients/{patient_id}/authorizations", response_model=list[AuthorizationRead])
@writes_on_get
def list_authorizations(
    request: Request,
    db: DbSession,
    user: ApiUser,
    today: Today,
    patient_id: IdPath,
    on: Annotated[Day | None, Query()] = None,
):
    """A patient's authorisations by start day, with used, booked and remaining grams and
    courses and the projected day each runs out, on day `on` (default today)."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="authorizations"
    )
    return authorization_service.authorization_views(db, patient_id=patient_id, on=on or today)


@router.patch("/authorizations/{authorization_id}", response_model=AuthorizationRead)
def correct_authorization(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    authorization_id: IdPath,
    body: AuthorizationUpdate,
):
    """Correct an authorisation: only the fields sent change (a limit sent as null is
    removed); audited field by field."""
    row = authorization_service.update_authorization(
        db, actor=actor(request, user), authorization_id=authorization_id, data=body, today=today
    )
    return authorization_service.authorization_view(db, row, on=today)
