"""A patient's funding authorisations: the bars, recording one and correcting one (the
pharmacist's forms), and the printable renewal packet of one."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.rules.authorizations import funding_bar
from tracker.schemas.authorizations import AuthorizationCreate, AuthorizationUpdate
from tracker.services import audit
from tracker.services import authorizations as authorization_service
from tracker.services import patients as patient_service
from tracker.services.errors import ServiceError
from tracker.services.evaluation import evaluate_patient
from tracker.services.renewal_packet import renewal_packet
from tracker.web.deps import (
    DbSession,
    IdPath,
    PagePharmacist,
    PageUser,
    Today,
    actor,
    writes_on_get,
)
from tracker.web.forms import VerifiedForm, form_values, parse, service_error
from tracker.web.labels import STATUS_LABELS, TIMING_LABELS
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

FIELDS = ["payer", "reference", "starts_on", "ends_on", "approved_g", "approved_courses"]
# A blank limit on the form means no limit (sent as None, which removes it on a correction).
LIMITS = ("approved_g", "approved_courses")


def funding_rows(standings) -> list[dict]:
    """Each authorisation's standing with its bar, for the funding panel."""
    return [{"s": s, "a": s.authorization, "bar": funding_bar(s)} for s in standings]


def _page(
    request,
    db,
    user,
    today,
    patient_id,
    *,
    values=None,
    errors=None,
    corrections=None,
    saved_id=None,
    status=200,
):
    patient = patient_service.get_patient(db, patient_id)
    ev = evaluate_patient(db, patient_id=patient_id, on=today)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="authorizations form"
    )
    rows = funding_rows(ev.authorizations)
    return render(
        request,
        "authorizations.html",
        {
            "patient": patient,
            "funding": rows,
            "today": today,
            "values": values or {},
            "errors": errors or {},
            # The correction that was sent: {authorization id: its values}.
            "corrections": corrections or {},
            "saved": next((r for r in rows if r["a"].id == saved_id), None),
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/authorizations")
@writes_on_get
def authorizations_page(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    today: Today,
    patient_id: IdPath,
    saved: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
):
    """The patient's authorisations, each with its correction form, and the form for a new
    one; after a save, what was saved (found by id among the patient's own)."""
    return _page(request, db, user, today, patient_id, saved_id=saved)


@router.post("/patients/{patient_id}/authorizations")
def record_authorization(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record one, or show the form again with each error beside its field."""
    values = form_values(form, FIELDS)
    result = parse(AuthorizationCreate, values, values)
    if result.ok:
        try:
            row = authorization_service.create_authorization(
                db,
                actor=actor(request, user),
                patient_id=patient_id,
                data=result.model,
                today=today,
            )
            return RedirectResponse(
                f"/patients/{patient_id}/authorizations?saved={row.id}#saved", status_code=303
            )
        except ServiceError as exc:
            db.rollback()
            if exc.status_code == 404:
                raise
            result.errors = service_error(exc)
    return _page(
        request, db, user, today, patient_id, values=values, errors=result.errors, status=422
    )


@router.post("/patients/{patient_id}/authorizations/{authorization_id}")
def correct_authorization(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
    authorization_id: IdPath,
):
    """Correct one: the form holds every field, so a blank limit removes it; the errors
    appear beside that authorisation's fields."""
    values = form_values(form, FIELDS)
    # Checked as a whole authorisation (a cleared payer is "required"), then sent whole.
    result = parse(AuthorizationCreate, values, values, nullable=LIMITS)
    if result.ok:
        try:
            authorization_service.update_authorization(
                db,
                actor=actor(request, user),
                authorization_id=authorization_id,
                data=AuthorizationUpdate(**result.model.model_dump()),
                today=today,
                patient_id=patient_id,
            )
            return RedirectResponse(
                f"/patients/{patient_id}/authorizations?saved={authorization_id}#saved",
                status_code=303,
            )
        except ServiceError as exc:
            db.rollback()
            if exc.status_code == 404:
                raise
            result.errors = service_error(exc)
    return _page(
        request,
        db,
        user,
        today,
        patient_id,
        errors={f"{authorization_id}.{k}": v for k, v in result.errors.items()},
        corrections={authorization_id: values},
        status=422,
    )


@router.get("/patients/{patient_id}/authorizations/{authorization_id}/packet")
@writes_on_get
def renewal_packet_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    today: Today,
    patient_id: IdPath,
    authorization_id: IdPath,
):
    """The printable renewal packet: benefit per series, courses in and out of window, dose
    history and tapers, reactions, and the no-response and refractory flags."""
    packet = renewal_packet(
        db, patient_id=patient_id, authorization_id=authorization_id, today=today
    )
    audit.patient_viewed(
        db,
        actor=actor(request, user),
        patient_id=patient_id,
        part=f"renewal packet, authorization {authorization_id}",
    )
    return render(
        request,
        "renewal_packet.html",
        {
            "pk": packet,
            "p": packet.patient,
            "today": today,
            "funding": funding_rows([packet.standing]) if packet.standing else [],
            "timing_labels": TIMING_LABELS,
            "status_labels": STATUS_LABELS,
        },
    )
