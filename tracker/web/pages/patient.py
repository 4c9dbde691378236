"""A patient's page: header, timeline, history; recommendation, review and weight forms."""

import math
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.rules import MEASURES, to_kg
from tracker.schemas.patients import WeightCreate
from tracker.schemas.scores import AssessmentCreate, DismissRecommendation, ReviewCreate
from tracker.schemas.treatment import ConvertToSc
from tracker.services import assessments as assessment_service
from tracker.services import audit
from tracker.services import patients as patient_service
from tracker.services import recommendations as recommendation_service
from tracker.services import regimens as regimen_service
from tracker.services.errors import ServiceError
from tracker.services.patient_history import HISTORY_KINDS, history_page, latest_scores
from tracker.services.patient_record import patient_record
from tracker.services.policy import display_units, load_policy
from tracker.web.deps import (
    DbSession,
    IdPath,
    PageNurse,
    PagePharmacist,
    PageUser,
    Today,
    actor,
    writes_on_get,
)
from tracker.web.forms import VerifiedForm, form_values, in_stored_unit, parse, service_error
from tracker.web.labels import (
    ACTION_LABELS,
    OTHER_TREATMENT_LABELS,
    STATUS_LABELS,
    TIMING_LABELS,
)
from tracker.web.pages.authorizations import funding_rows
from tracker.web.pages.diagnosis import diagnosis_panel
from tracker.web.routing import Router
from tracker.web.templating import render
from tracker.web.timeline import timeline_svg

router = Router(include_in_schema=False)


def _page(
    request,
    db,
    user,
    today,
    patient_id,
    *,
    errors=None,
    values=None,
    status=200,
    template="patient.html",
    saved="",
    shown_range="1y",
):
    record = patient_record(db, patient_id=patient_id, today=today)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part=template.removesuffix(".html")
    )
    return render(
        request,
        template,
        {
            "r": record,
            "p": record.patient,
            "ev": record.evaluation,
            "today": today,
            "timeline": timeline_svg(record, today=today, start=range_start(shown_range, today)),
            "ranges": RANGES,
            "shown_range": shown_range,
            "recent_courses": record.courses[-RECENT_COURSES:],
            "latest_scores": latest_scores(record.scores),
            "recent_items": RECENT_ITEMS,
            "measures": MEASURES,
            "score_measures": SCORE_MEASURES,
            "action_labels": ACTION_LABELS,
            "status_labels": STATUS_LABELS,
            "timing_labels": TIMING_LABELS,
            "errors": errors or {},
            "values": values or {},
            "treatment_labels": OTHER_TREATMENT_LABELS,
            "dx": diagnosis_panel(db, patient_id=patient_id, today=today),
            "funding": funding_rows(record.evaluation.authorizations),
            "units": display_units(db),
            "saved": saved_item(record, saved),
        },
        status_code=status,
    )


# The timeline's ranges (?range=), the last year by default; the page's short lists.
RANGES = {"6m": "6 months", "1y": "1 year", "all": "All"}
RANGE_DAYS = {"6m": 183, "1y": 365}
RECENT_COURSES = 6
RECENT_ITEMS = 3
TimelineRange = Literal["6m", "1y", "all"]


def range_start(shown_range: str, today: date) -> date | None:
    """The first day the timeline draws for a range, or None for the whole history."""
    days = RANGE_DAYS.get(shown_range)
    return today - timedelta(days=days) if days else None


def saved_item(record, saved: str) -> dict | None:
    """What a save just wrote, for the notice after its redirect (`?saved=weight:12`).

    Only the patient's own rows are named, found by id in the record: nothing typed into the
    address is ever shown.
    """
    kind, _, row_id = saved.partition(":")
    if kind == "patient":
        return {"kind": "patient", "row": record.patient}
    rows = {
        "weight": [(w.id, w) for w in record.weights],
        "score": [(a.id, a) for a in record.scores],
        "regimen": [(r["id"], r) for r in record.regimens],
    }.get(kind, [])
    row = next((row for i, row in rows if str(i) == row_id), None)
    return {"kind": kind, "row": row} if row is not None else None


@router.get("/patients/{patient_id}")
@writes_on_get
def patient_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    today: Today,
    patient_id: IdPath,
    saved: Annotated[str, Query(max_length=40)] = "",
    shown_range: Annotated[TimelineRange, Query(alias="range")] = "1y",
):
    """The patient's summary: flags, recommendation, timeline, the latest courses and scores."""
    return _page(request, db, user, today, patient_id, saved=saved, shown_range=shown_range)


def _history_route(kind: str):
    @writes_on_get
    def history(
        request: Request,
        db: DbSession,
        user: PageUser,
        patient_id: IdPath,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ):
        patient = patient_service.get_patient(db, patient_id)
        rows = history_page(db, patient_id=patient_id, kind=kind, page=page)
        audit.patient_viewed(
            db, actor=actor(request, user), patient_id=patient_id, part=f"history {kind}"
        )
        return render(
            request,
            "patient_history.html",
            {
                "p": patient,
                "h": rows,
                "kinds": HISTORY_KINDS,
                "measures": MEASURES,
                "status_labels": STATUS_LABELS,
                "timing_labels": TIMING_LABELS,
            },
        )

    history.__doc__ = f"The patient's whole {kind} history, newest first, 50 to a page."
    history.__name__ = f"patient_history_{kind}"
    return history


for _kind in HISTORY_KINDS:
    router.add_api_route(
        f"/patients/{{patient_id}}/history/{_kind}", _history_route(_kind), methods=["GET"]
    )


@router.get("/patients/{patient_id}/summary")
@writes_on_get
def patient_summary(
    request: Request, db: DbSession, user: PageUser, today: Today, patient_id: IdPath
):
    """A printable summary of the patient's treatment."""
    return _page(
        request, db, user, today, patient_id, template="patient_summary.html", shown_range="all"
    )


def _redirect(patient_id: int, note: str = "", saved: str = "") -> RedirectResponse:
    anchor = f"#{note}" if note else ""
    query = f"?saved={saved}" if saved else ""
    return RedirectResponse(f"/patients/{patient_id}{query}{anchor}", status_code=303)


def _accept_page(request, db, user, today, patient_id, preview, *, errors=None, status=200):
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="recommendation preview"
    )
    return render(
        request,
        "recommendation_accept.html",
        {
            "p": patient,
            "preview": preview,
            "action_labels": ACTION_LABELS,
            "errors": errors or {},
            "today": today,
            "units": display_units(db),
            "policy": load_policy(db),
        },
        status_code=status,
    )


def _expected(form) -> tuple[float, int] | None:
    """The (g/kg, interval) the preview showed, or None when the form did not carry them."""
    try:
        dose, interval = float(form.get("dose_g_per_kg", "")), int(form.get("interval_days", ""))
    except ValueError:
        return None
    return (dose, interval) if math.isfinite(dose) else None


@router.post("/patients/{patient_id}/recommendation/accept")
def accept(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Show the regimen that accepting writes; save it only when the pharmacist confirms."""
    expected = _expected(form)
    try:
        if form.get("confirm") == "save" and expected is not None:
            new = recommendation_service.accept_recommendation(
                db,
                actor=actor(request, user),
                patient_id=patient_id,
                on=today,
                today=today,
                expected=expected,
            )
            return _redirect(patient_id, "regimens", saved=f"regimen:{new.id}")
        preview = recommendation_service.acceptance_preview(db, patient_id=patient_id, on=today)
    except ServiceError as exc:
        db.rollback()
        return _page(
            request, db, user, today, patient_id, errors=service_error(exc), status=exc.status_code
        )
    return _accept_page(request, db, user, today, patient_id, preview)


@router.post("/patients/{patient_id}/regimens/convert-to-sc")
def convert_to_sc(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Show the IV-to-SC arithmetic (clinical rules 9); save only when the pharmacist
    confirms the dose shown."""
    values = form_values(form, ["interval_days", "on"])
    parsed = parse(ConvertToSc, values, values)
    if not parsed.ok:
        return _page(request, db, user, today, patient_id, errors=parsed.errors, status=422)
    data = parsed.model
    try:
        iv, conversion, per_kg = regimen_service.sc_conversion(
            db, patient_id=patient_id, data=data, today=today
        )
        shown = str(form.get("expected_dose_g", ""))
        if form.get("confirm") == "save" and shown == str(conversion.sc_dose_g):
            new = regimen_service.convert_to_sc_regimen(
                db, actor=actor(request, user), patient_id=patient_id, data=data, today=today
            )
            return _redirect(patient_id, "regimens", saved=f"regimen:{new.id}")
    except ServiceError as exc:
        db.rollback()
        return _page(
            request, db, user, today, patient_id, errors=service_error(exc), status=exc.status_code
        )
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="SC conversion preview"
    )
    preview = {"iv": iv, "conversion": conversion, "per_kg": per_kg, "on": data.on or today}
    return render(
        request,
        "sc_convert.html",
        {
            "p": patient_service.get_patient(db, patient_id),
            "preview": preview,
            "errors": {},
            "today": today,
            "units": display_units(db),
        },
    )


@router.post("/patients/{patient_id}/recommendation/dismiss")
def dismiss(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Dismiss the recommended action, with a reason."""
    values = form_values(form, ["reason"])
    result = parse(DismissRecommendation, values, values)
    if not values["reason"]:
        return _page(
            request,
            db,
            user,
            today,
            patient_id,
            status=422,
            errors={"reason": "Say why the recommendation is dismissed."},
        )
    if not result.ok:  # too long: refused, never cut short without a word
        return _page(request, db, user, today, patient_id, status=422, errors=result.errors)
    try:
        recommendation_service.dismiss_recommendation(
            db,
            actor=actor(request, user),
            patient_id=patient_id,
            reason=result.model.reason,
            today=today,
        )
    except ServiceError as exc:
        db.rollback()
        return _page(
            request, db, user, today, patient_id, errors=service_error(exc), status=exc.status_code
        )
    return _redirect(patient_id)


@router.post("/patients/{patient_id}/reviews")
def add_review(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record a review."""
    values = form_values(form, ["reviewed_on", "outcome", "notes"])
    result = parse(ReviewCreate, values, values)
    if result.ok:
        try:
            assessment_service.record_review(
                db,
                actor=actor(request, user),
                patient_id=patient_id,
                data=result.model,
                today=today,
            )
            return _redirect(patient_id, "reviews")
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _page(
        request,
        db,
        user,
        today,
        patient_id,
        errors=result.errors,
        values={"review": values},
        status=422,
    )


# The score form's fields (AssessmentCreate's, a clinic score: source left at its default)
# and its measures, each with its unit.
SCORE_FORM_FIELDS = ["taken_on", "measure", "side", "value", "timing"]
SCORE_MEASURES = [("", "Choose a measure")] + [
    (code, f"{measure.label} ({measure.unit})") for code, measure in MEASURES.items()
]


@router.post("/patients/{patient_id}/scores")
def add_score(
    request: Request,
    db: DbSession,
    user: PageNurse,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record a clinic score of any measure: RODS, INCAT, ONLS and the reported wear-off day
    as well as grip and MRC (the log form asks for those two at each course)."""
    values = form_values(form, SCORE_FORM_FIELDS)
    data = {k: v for k, v in values.items() if v}  # a blank side: none
    result = parse(AssessmentCreate, data, values)
    if result.ok:
        try:
            score = assessment_service.record_assessment(
                db,
                actor=actor(request, user),
                patient_id=patient_id,
                data=result.model,
                today=today,
            )
            return _redirect(patient_id, "scores", saved=f"score:{score.id}")
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _page(
        request,
        db,
        user,
        today,
        patient_id,
        errors=result.errors,
        values={"score": values},
        status=422,
    )


@router.post("/patients/{patient_id}/weights")
def add_weight(
    request: Request,
    db: DbSession,
    user: PageNurse,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record a weight typed in kg or lb; a jump of more than 10% needs the confirmation box."""
    values = form_values(form, ["measured_on", "weight", "weight_unit", "weight_kg"])
    if not values["weight"]:  # the form before units: a figure in kg
        values |= {"weight": values["weight_kg"], "weight_unit": "kg"}
    confirmed = form.get("confirm_weight_change") == "1"
    weight_kg, errors = in_stored_unit(values["weight"], values["weight_unit"] or "kg", to_kg)
    result = parse(
        WeightCreate,
        {
            "measured_on": values["measured_on"],
            "weight_kg": weight_kg,
            "confirm_weight_change": confirmed,
        },
        values,
    )
    if errors:  # an unknown unit: said beside the figure it belongs to
        result.errors = {"weight_kg": f"weight_unit {errors['weight_unit']}"}
    elif result.ok:
        try:
            weight = patient_service.add_weight(
                db,
                actor=actor(request, user),
                patient_id=patient_id,
                data=result.model,
                today=today,
            )
            return _redirect(patient_id, "weights", saved=f"weight:{weight.id}")
        except patient_service.WeightChangeUnconfirmed as exc:
            db.rollback()
            result.errors = service_error(exc)
            values["ask_confirmation"] = True
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _page(
        request,
        db,
        user,
        today,
        patient_id,
        errors=result.errors,
        values={"weight": values},
        status=422,
    )
