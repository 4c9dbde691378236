"""A patient's other treatments besides IVIG: the list, recording one, setting its last day."""

from fastapi import Request
from fastapi.responses import RedirectResponse

from tracker.schemas.other_treatments import OtherTreatmentCreate, OtherTreatmentStop
from tracker.services import audit
from tracker.services import other_treatments as treatment_service
from tracker.services import patients as patient_service
from tracker.services.errors import ServiceError
from tracker.store.models import OtherTreatmentKind
from tracker.web.deps import DbSession, IdPath, PagePharmacist, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm, form_values, parse, saved, service_error
from tracker.web.labels import OTHER_TREATMENT_LABELS
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

FIELDS = ["kind", "description", "started_on", "stopped_on", "notes"]


def _page(request, db, user, today, patient_id, *, values=None, errors=None, stop=None, status=200):
    """The list with a stop form per treatment and the form for a new one."""
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="other treatments form"
    )
    return render(
        request,
        "other_treatments.html",
        {
            "patient": patient,
            "treatments": treatment_service.other_treatments(db, patient_id=patient_id),
            "kinds": [(k.value, OTHER_TREATMENT_LABELS[k.value]) for k in OtherTreatmentKind],
            "labels": OTHER_TREATMENT_LABELS,
            "today": today,
            "values": values or {"kind": "rituximab", "started_on": today.isoformat()},
            "errors": errors or {},
            # The stop form that was sent: {"id": treatment id, "value": text, "error": message}.
            "stop": stop or {},
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/other-treatments")
@writes_on_get
def other_treatments_page(
    request: Request, db: DbSession, user: PagePharmacist, today: Today, patient_id: IdPath
):
    """The patient's other treatments, with the forms to record and stop them."""
    return _page(request, db, user, today, patient_id)


@router.post("/patients/{patient_id}/other-treatments")
def record_other_treatment(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record one, or show the form again with each error beside its field."""
    values = form_values(form, FIELDS)
    result = parse(OtherTreatmentCreate, values, values)
    done = saved(
        db,
        result,
        lambda data: treatment_service.record_other_treatment(
            db, actor=actor(request, user), patient_id=patient_id, data=data, today=today
        ),
        then=f"/patients/{patient_id}#other-treatments",
    )
    if done is not None:
        return done
    return _page(
        request, db, user, today, patient_id, values=values, errors=result.errors, status=422
    )


@router.post("/patients/{patient_id}/other-treatments/{treatment_id}/stop")
def stop_other_treatment(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
    treatment_id: IdPath,
):
    """Set a treatment's last day, or show the error beside that treatment's day."""
    values = form_values(form, ["stopped_on"])
    result = parse(OtherTreatmentStop, values, values)
    if result.ok:
        try:
            treatment_service.stop_other_treatment(
                db,
                actor=actor(request, user),
                treatment_id=treatment_id,
                stopped_on=result.model.stopped_on,
                today=today,
                patient_id=patient_id,
            )
            return RedirectResponse(f"/patients/{patient_id}#other-treatments", status_code=303)
        except ServiceError as exc:
            db.rollback()
            if exc.status_code == 404:
                raise
            result.errors = service_error(exc)
    error = result.errors.get("stopped_on") or next(iter(result.errors.values()), "")
    return _page(
        request,
        db,
        user,
        today,
        patient_id,
        status=422,
        stop={"id": treatment_id, "value": values["stopped_on"], "error": error},
    )
