"""Patients, weights, regimens, scores, reviews, the schedule and recommendations."""

from typing import Annotated

from fastapi import Query, Request

from tracker.schemas.common import Day
from tracker.schemas.evaluation import ScheduleRead
from tracker.schemas.patients import (
    PatientCreate,
    PatientCreated,
    PatientRead,
    PatientUpdate,
    WeightCreate,
    WeightRead,
)
from tracker.schemas.scores import (
    AcceptRecommendation,
    AssessmentCreate,
    AssessmentRead,
    DismissRecommendation,
    ReviewCreate,
    ReviewRead,
)
from tracker.schemas.treatment import ConvertToSc, RegimenCreate, RegimenRead
from tracker.services import assessments as assessment_service
from tracker.services import audit
from tracker.services import patients as patient_service
from tracker.services import recommendations as recommendation_service
from tracker.services import regimens as regimen_service
from tracker.services.evaluation import evaluate_patient
from tracker.web.deps import (
    ApiNurse,
    ApiPharmacist,
    ApiUser,
    DbSession,
    IdPath,
    Today,
    actor,
    writes_on_get,
)
from tracker.web.openapi_answers import also_answers
from tracker.web.routing import Router

router = Router(prefix="/api/v1/patients", tags=["patients"])


@router.post("", status_code=201, response_model=PatientCreated, responses=also_answers(409))
def create_patient(
    request: Request, db: DbSession, user: ApiPharmacist, today: Today, body: PatientCreate
):
    """Register a patient (409 naming `mrn` when the MRN exists, however it is cased or
    punctuated); `possible_duplicates` lists patients of the same name and birth date."""
    patient = patient_service.create_patient(db, actor=actor(request, user), data=body, today=today)
    return PatientCreated.model_validate(
        {
            **PatientRead.model_validate(patient).model_dump(),
            "possible_duplicates": patient_service.possible_duplicates(db, patient),
        }
    )


@router.get("", response_model=list[PatientRead])
def list_patients(
    db: DbSession,
    user: ApiUser,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
):
    """Patients whose MRN or name contains `q`, by family name."""
    return patient_service.search_patients(db, query=q, limit=limit, offset=offset)[1]


@router.get("/{patient_id}", response_model=PatientRead)
@writes_on_get
def read_patient(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """One patient."""
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="patient")
    return patient


@router.patch("/{patient_id}", response_model=PatientRead, responses=also_answers(409))
def update_patient(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: PatientUpdate,
):
    """Change some fields of a patient, including the status."""
    return patient_service.update_patient(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )


@router.post("/{patient_id}/weights", status_code=201, response_model=WeightRead)
def add_weight(
    request: Request,
    db: DbSession,
    user: ApiNurse,
    today: Today,
    patient_id: IdPath,
    body: WeightCreate,
):
    """Record a weight."""
    return patient_service.add_weight(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )


@router.get("/{patient_id}/weights", response_model=list[WeightRead])
@writes_on_get
def list_weights(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """A patient's weights, oldest first."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="weights")
    return patient_service.weights(db, patient_id=patient_id)


@router.post("/{patient_id}/regimens", status_code=201, response_model=RegimenRead)
def create_regimen(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: RegimenCreate,
):
    """Write a new regimen; the answer carries the dose calculation and vial plan."""
    regimen = regimen_service.create_regimen(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return regimen_service.regimen_view(db, regimen)


@router.post(
    "/{patient_id}/regimens/convert-to-sc",
    status_code=201,
    response_model=RegimenRead,
    responses=also_answers(409),
)
def convert_to_sc(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: ConvertToSc,
):
    """Convert the current IV regimen to SCIG (clinical rules 9): the new SC regimen, its
    dose the IV dose x (SC interval / IV interval) x sc_conversion_factor, rounded to
    sc_dose_rounding_g; 409 without an IV regimen with a dose to convert."""
    regimen = regimen_service.convert_to_sc_regimen(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return regimen_service.regimen_view(db, regimen)


@router.get("/{patient_id}/regimens", response_model=list[RegimenRead])
@writes_on_get
def list_regimens(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """A patient's regimens in the order they start."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="regimens")
    return [
        regimen_service.regimen_view(db, r)
        for r in regimen_service.regimens(db, patient_id=patient_id)
    ]


@router.post("/{patient_id}/assessments", status_code=201, response_model=AssessmentRead)
def record_assessment(
    request: Request,
    db: DbSession,
    user: ApiNurse,
    today: Today,
    patient_id: IdPath,
    body: AssessmentCreate,
):
    """Record a score (422 for an unknown measure, a missing side or a value out of range)."""
    row = assessment_service.record_assessment(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )
    return assessment_service.assessment_view(row)


@router.get("/{patient_id}/assessments", response_model=list[AssessmentRead])
@writes_on_get
def list_assessments(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """A patient's scores, oldest first."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="assessments")
    return [
        assessment_service.assessment_view(a)
        for a in assessment_service.assessments(db, patient_id=patient_id)
    ]


@router.post("/{patient_id}/reviews", status_code=201, response_model=ReviewRead)
def record_review(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: ReviewCreate,
):
    """Record a formal review."""
    return assessment_service.record_review(
        db, actor=actor(request, user), patient_id=patient_id, data=body, today=today
    )


@router.get("/{patient_id}/reviews", response_model=list[ReviewRead])
@writes_on_get
def list_reviews(request: Request, db: DbSession, user: ApiUser, patient_id: IdPath):
    """A patient's reviews, oldest first."""
    patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="reviews")
    return assessment_service.reviews(db, patient_id=patient_id)


@router.get("/{patient_id}/schedule", response_model=ScheduleRead)
@writes_on_get
def schedule(
    request: Request,
    db: DbSession,
    user: ApiUser,
    today: Today,
    patient_id: IdPath,
    on: Annotated[Day | None, Query()] = None,
):
    """When the next course is due, its window, the flags and the recommended action."""
    evaluation = evaluate_patient(db, patient_id=patient_id, on=on or today)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="schedule")
    return {"patient_id": patient_id, **evaluation.to_schedule_dict()}


@router.post(
    "/{patient_id}/recommendation/accept",
    status_code=201,
    response_model=RegimenRead,
    responses=also_answers(409),
)
def accept_recommendation(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: AcceptRecommendation | None = None,
):
    """Accept the recommended action: a new regimen with the proposed values and reason."""
    on = (body.on if body else None) or today
    regimen = recommendation_service.accept_recommendation(
        db, actor=actor(request, user), patient_id=patient_id, on=on, today=today
    )
    return regimen_service.regimen_view(db, regimen)


@router.post("/{patient_id}/recommendation/dismiss", responses=also_answers(409))
def dismiss_recommendation(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    today: Today,
    patient_id: IdPath,
    body: DismissRecommendation,
) -> dict:
    """Dismiss the recommended action; it is not raised again for this regimen."""
    decision = recommendation_service.dismiss_recommendation(
        db, actor=actor(request, user), patient_id=patient_id, reason=body.reason, today=today
    )
    return {
        "action": decision.action,
        "regimen_id": decision.regimen_id,
        "reason": decision.reason,
        "dismissed": True,
    }
