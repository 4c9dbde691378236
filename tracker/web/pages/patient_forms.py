"""Creating and editing patients, and writing a new regimen with its dose shown first."""

from fastapi import Request
from fastapi.responses import RedirectResponse

from tracker.rules import (
    DosingError,
    HeightUnit,
    from_cm,
    intensity_g_per_kg_28d,
    to_cm,
    vial_plan,
)
from tracker.rules.units import typed_number
from tracker.schemas.patients import PatientCreate, PatientUpdate
from tracker.schemas.treatment import RegimenCreate
from tracker.services import audit
from tracker.services import patients as patient_service
from tracker.services import regimens as regimen_service
from tracker.services.errors import ServiceError
from tracker.services.policy import display_units, load_policy
from tracker.services.products import product_choices
from tracker.services.regimens import product_by_code
from tracker.web.deps import DbSession, IdPath, PagePharmacist, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm, form_values, in_stored_unit, parse, service_error
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

PATIENT_FIELDS = [
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "height_cm",
    "email",
    "address_line1",
    "address_line2",
    "postcode",
    "reminder_consent",
    "diagnosis",
    "min_interval_days",
    "max_interval_days",
]
# The height is typed in cm or in (`height`, `height_unit`) and stored as height_cm.
HEIGHT_FIELDS = ["height", "height_unit"]
REGIMEN_FIELDS = [
    "starts_on",
    "dose_g_per_kg",
    "interval_days",
    "days_per_course",
    "product_code",
    "weight_basis",
    "reason",
    "override_reason",
]


def _patient_form(request, db, *, values, errors=None, patient=None, duplicates=(), status=200):
    units = display_units(db)
    values = values | {"height_unit": values.get("height_unit") or units.height}
    return render(
        request,
        "patient_form.html",
        {
            "values": values,
            "errors": errors or {},
            "patient": patient,
            "units": units,
            "duplicates": duplicates,
        },
        status_code=status,
    )


def _patient_values(form) -> tuple[dict, dict, dict]:
    """What was typed (to show back), the data for the schema, and unit errors."""
    values = form_values(form, [*PATIENT_FIELDS, *HEIGHT_FIELDS, "status"])
    values["reminder_consent"] = "reminder_consent" in form
    if not values["height"] and values["height_cm"]:  # the form before units: cm
        values |= {"height": values["height_cm"], "height_unit": "cm"}
    height_cm, errors = in_stored_unit(values["height"], values["height_unit"] or "cm", to_cm)
    data = {k: values[k] for k in PATIENT_FIELDS} | {"height_cm": height_cm}
    return values, data, errors


@router.get("/patients/new")
def new_patient_form(request: Request, db: DbSession, user: PagePharmacist):
    """The form for a new patient."""
    return _patient_form(request, db, values={"diagnosis": "MMN"})


@router.post("/patients/new")
def create_patient(
    request: Request, db: DbSession, user: PagePharmacist, form: VerifiedForm, today: Today
):
    """Register the patient, or show the form again with each error by its field."""
    values, data, unit_errors = _patient_values(form)
    data.pop("status", None)
    # "Not recorded" is a choice: the schema asks for sex explicitly, null allowed.
    result = parse(PatientCreate, data, values, nullable=("sex",))
    if unit_errors:
        result.errors = unit_errors | result.errors
    elif result.ok:
        # A likely duplicate (same name and birth date) is shown before a second record is
        # made; the person saves again, ticking that it is someone else, to go on.
        duplicates = (
            []
            if "confirm_new_person" in form
            else patient_service.likely_duplicates(
                db,
                given_name=result.model.given_name,
                family_name=result.model.family_name,
                birth_date=result.model.birth_date,
            )
        )
        if duplicates:
            return _patient_form(request, db, values=values, duplicates=duplicates, status=409)
        try:
            patient = patient_service.create_patient(
                db, actor=actor(request, user), data=result.model, today=today
            )
            return RedirectResponse(f"/patients/{patient.id}?saved=patient", status_code=303)
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _patient_form(request, db, values=values, errors=result.errors, status=422)


@router.get("/patients/{patient_id}/edit")
@writes_on_get
def edit_patient_form(request: Request, db: DbSession, user: PagePharmacist, patient_id: IdPath):
    """The form to change a patient."""
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="edit form")
    unit = display_units(db).height
    values = {name: getattr(patient, name) for name in PATIENT_FIELDS} | {
        "status": patient.status,
        "height_unit": unit,
        "height": _height_shown(patient.height_cm, unit),
    }
    return _patient_form(request, db, values=values, patient=patient)


def _height_shown(height_cm: float | None, unit: str) -> str:
    return typed_number(from_cm(height_cm, unit)) if height_cm else ""


@router.post("/patients/{patient_id}/edit")
def update_patient(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Save the changes, or show the form again with each error by its field."""
    patient = patient_service.get_patient(db, patient_id)
    values, data, unit_errors = _patient_values(form)
    data["status"] = values["status"]
    unit = values["height_unit"] or "cm"
    if unit in {u.value for u in HeightUnit} and values["height"] == _height_shown(
        patient.height_cm, unit
    ):
        # Left as shown: the stored figure, not its round trip through inches.
        data["height_cm"] = patient.height_cm
    # Blank optional fields mean "clear it" on the edit form.
    result = parse(PatientUpdate, data, values, blanks="clear")
    if unit_errors:
        result.errors = unit_errors | result.errors
    elif result.ok:
        try:
            patient_service.update_patient(
                db,
                actor=actor(request, user),
                patient_id=patient_id,
                data=result.model,
                today=today,
            )
            return RedirectResponse(f"/patients/{patient_id}?saved=patient", status_code=303)
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _patient_form(
        request, db, values=values, errors=result.errors, patient=patient, status=422
    )


def _regimen_form(request, db, patient, *, values, errors=None, preview=None, status=200):
    return render(
        request,
        "regimen_form.html",
        {
            "patient": patient,
            "values": values,
            "errors": errors or {},
            "preview": preview,
            "products": product_choices(db),
            "policy": load_policy(db),
            "units": display_units(db),
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/regimens/new")
@writes_on_get
def new_regimen_form(
    request: Request, db: DbSession, user: PagePharmacist, today: Today, patient_id: IdPath
):
    """The new regimen form, filled from the current regimen."""
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="regimen form")
    current = regimen_service.regimens(db, patient_id=patient_id)
    last = regimen_service.regimen_view(db, current[-1]) if current else None
    values = {
        "starts_on": today.isoformat(),
        "weight_basis": "auto",
        "days_per_course": "1",
        "dose_g_per_kg": str(last["dose_g_per_kg"]) if last else "1",
        "interval_days": str(last["interval_days"]) if last else "28",
        "product_code": last["product_code"] or "" if last else "",
    }
    return _regimen_form(request, db, patient, values=values)


@router.post("/patients/{patient_id}/regimens/new")
def create_regimen(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Calculate and show the dose first; save only when the pharmacist confirms."""
    patient = patient_service.get_patient(db, patient_id)
    values = form_values(form, REGIMEN_FIELDS)
    result = parse(RegimenCreate, values, values)
    if not result.ok:
        return _regimen_form(request, db, patient, values=values, errors=result.errors, status=422)
    data = result.model
    if form.get("confirm") != "save":
        try:
            preview = _preview(db, patient, data, today)
        except ServiceError as exc:
            return _regimen_form(
                request, db, patient, values=values, errors=service_error(exc), status=422
            )
        return _regimen_form(request, db, patient, values=values, preview=preview)
    try:
        regimen = regimen_service.create_regimen(
            db, actor=actor(request, user), patient_id=patient_id, data=data, today=today
        )
    except ServiceError as exc:
        db.rollback()
        return _regimen_form(
            request, db, patient, values=values, errors=service_error(exc), status=422
        )
    return RedirectResponse(
        f"/patients/{patient_id}?saved=regimen:{regimen.id}#regimens", status_code=303
    )


def _preview(db, patient, data: RegimenCreate, today) -> dict:
    """The dose, intensity and vials the regimen would give, and any limit it breaks."""
    policy = load_policy(db).with_patient_bounds(
        patient.min_interval_days, patient.max_interval_days
    )
    calc = regimen_service.calculate_for(
        db,
        patient=patient,
        dose_g_per_kg=data.dose_g_per_kg,
        days_per_course=data.days_per_course,
        weight_basis=data.weight_basis,
        day=min(data.starts_on, today),
        policy=policy,
    )
    product = product_by_code(db, data.product_code)
    try:
        plan = vial_plan(calc.dose_g, product.vial_sizes) if product else None
    except DosingError:
        plan = None
    limit_error = None
    try:
        regimen_service.check_regimen_limits(
            dose_g_per_kg=data.dose_g_per_kg,
            interval_days=data.interval_days,
            override_reason=data.override_reason,
            policy=policy,
        )
    except ServiceError as exc:
        limit_error = exc.message
    return {
        "calc": calc,
        "plan": plan,
        "product": product,
        "limit_error": limit_error,
        "intensity": intensity_g_per_kg_28d(data.dose_g_per_kg, data.interval_days),
    }
