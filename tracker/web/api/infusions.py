"""Chairs and infusion courses: booking, recording as given, rescheduling, cancelling."""

from fastapi import Request

from tracker.rules.vocabulary import CourseStatus
from tracker.schemas.treatment import (
    ChairRead,
    InfusionAdminister,
    InfusionCancel,
    InfusionCreate,
    InfusionRead,
    InfusionReschedule,
)
from tracker.services import audit
from tracker.services import infusions as infusion_service
from tracker.services import patients as patient_service
from tracker.web.deps import (
    ApiNurse,
    ApiPharmacist,
    ApiUser,
    DbSession,
    IdPath,
    Today,
    actor,
    require_role,
    writes_on_get,
)
from tracker.web.openapi_answers import also_answers
from tracker.web.routing import Router

router = Router(prefix="/api/v1", tags=["infusions"])

InfusionId = IdPath


@router.get("/chairs", response_model=list[ChairRead])
def list_chairs(db: DbSession, user: ApiUser):
    """The site's infusion chairs."""
    return infusion_service.chairs(db)


@router.post(
    "/patients/{patient_id}/infusions",
    status_code=201,
    response_model=InfusionRead,
    responses=also_answers(409),
)
def book_infusion(
    request: Request,
    db: DbSession,
    user: ApiNurse,
    today: Today,
    patient_id: IdPath,
    body: InfusionCreate,
):
    """Book a course, or record one as given (409 when the chair is taken at that time)."""
    if body.status == CourseStatus.BOOKED:
        require_role(user, "pharmacist")  # bookings are the pharmacy's; nurses record given
    infusion = infusion_service.book_infusion(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return infusion_service.infusion_view(db, infusion)


@router.get("/patients/{patient_id}/infusions", response_model=list[InfusionRead])
@writes_on_get
def list_infusions(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """A patient's courses, oldest first."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="infusions")
    return infusion_service.infusion_views(
        db, infusion_service.infusions(db, patient_id=patient_id)
    )


@router.get("/infusions/{infusion_id}", response_model=InfusionRead)
@writes_on_get
def read_infusion(request: Request, db: DbSession, user: ApiUser, infusion_id: InfusionId):
    """One course."""
    infusion = infusion_service.get_infusion(db, infusion_id)
    audit.patient_viewed(
        db,
        actor=actor(request, user),
        patient_id=infusion.patient_id,
        part=f"infusion {infusion_id}",
    )
    return infusion_service.infusion_view(db, infusion)


@router.post(
    "/infusions/{infusion_id}/administer", response_model=InfusionRead, responses=also_answers(409)
)
def administer_infusion(
    request: Request,
    db: DbSession,
    user: ApiNurse,
    today: Today,
    infusion_id: InfusionId,
    body: InfusionAdminister,
):
    """Record a booked course as given."""
    infusion = infusion_service.administer_infusion(
        db, actor=actor(request, user), infusion_id=infusion_id, data=body, today=today
    )
    return infusion_service.infusion_view(db, infusion)


@router.post(
    "/infusions/{infusion_id}/reschedule", response_model=InfusionRead, responses=also_answers(409)
)
def reschedule_infusion(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    infusion_id: InfusionId,
    body: InfusionReschedule,
):
    """Move a booked course to another day, time or chair."""
    infusion = infusion_service.reschedule_infusion(
        db, actor=actor(request, user), infusion_id=infusion_id, data=body, today=today
    )
    return infusion_service.infusion_view(db, infusion)


@router.post(
    "/infusions/{infusion_id}/cancel", response_model=InfusionRead, responses=also_answers(409)
)
def cancel_infusion(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    infusion_id: InfusionId,
    body: InfusionCancel,
):
    """Cancel a booked course, with the reason."""
    infusion = infusion_service.cancel_infusion(
        db, actor=actor(request, user), infusion_id=infusion_id, reason=body.reason, today=today
    )
    return infusion_service.infusion_view(db, infusion)


@router.post(
    "/infusions/{infusion_id}/missed", response_model=InfusionRead, responses=also_answers(409)
)
def mark_missed(
    request: Request,
    db: DbSession,
    user: ApiNurse,
    today: Today,
    infusion_id: InfusionId,
    body: InfusionCancel,
):
    """Mark a booked course as missed (the patient did not come), with the reason."""
    infusion = infusion_service.cancel_infusion(
        db,
        actor=actor(request, user),
        infusion_id=infusion_id,
        reason=body.reason,
        today=today,
        status=CourseStatus.MISSED,
    )
    return infusion_service.infusion_view(db, infusion)
