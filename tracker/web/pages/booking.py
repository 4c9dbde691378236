"""Booking a chair inside the due window; rescheduling and cancelling bookings."""

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.rules.vocabulary import CourseStatus
from tracker.schemas.common import Day
from tracker.schemas.treatment import InfusionCancel, InfusionCreate, InfusionReschedule
from tracker.services import audit, chair_plan, visits
from tracker.services import authorizations as authorization_service
from tracker.services import infusions as infusion_service
from tracker.services import patients as patient_service
from tracker.services.errors import ServiceError
from tracker.services.evaluation import evaluate_patient
from tracker.services.policy import load_policy
from tracker.services.regimens import regimens
from tracker.store.models import Product
from tracker.web.deps import DbSession, IdPath, PagePharmacist, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm, form_values, parse, service_error
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

# override_reason: typed when a booking outside or beyond the patient's funding
# authorisations was refused (the field then appears with the refusal beside it).
BOOKING_FIELDS = ["scheduled_on", "start_time", "chair", "days", "override_reason"]
# Where the course is given (clinical rules 9): the booking form's site, nurse and address.
SITE_FIELDS = ["site", "nurse", "visit_address"]
# Refusals of a booking that are conflicts with what is stored (409), not bad input (422).
CONFLICT_FIELDS = ("chair", "nurse", "override_reason")


def booking_input(form) -> tuple[dict, dict]:
    """The booking form's values (to show back) and what is sent to the schema: the chair
    choice counts for a course in the centre, the nurse and address for one at home."""
    values = form_values(form, BOOKING_FIELDS + SITE_FIELDS)
    data = dict(values)
    site = values.get("site") or "chair"
    if site != "chair":
        data["chair"] = ""
    if site != "home_nurse":
        data["nurse"] = ""
    if site == "chair":
        data["visit_address"] = ""
    return values, data


def _status(errors: dict[str, str]) -> int:
    return 409 if any(k in CONFLICT_FIELDS for k in errors) else 422


def _typed_day(text) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def _funding_preview(db, ev, patient_id: int, day: date) -> dict | None:
    """What a booking on `day` would leave on the authorisation it would be charged to;
    None when the patient has no authorisation and the site does not require one."""
    required = load_policy(db).authorizations_required
    if not ev.authorizations and not required:
        return None
    course, standing = authorization_service.funding_preview(db, patient_id=patient_id, day=day)
    return {"day": day, "grams": course.grams, "s": standing, "required": required}


def _booking_page(
    request,
    db,
    user,
    today,
    patient_id,
    *,
    start=None,
    errors=None,
    values=None,
    status=200,
    check=None,
):
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="booking")
    ev = evaluate_patient(db, patient_id=patient_id, on=today)
    current = next((r for r in regimens(db, patient_id=patient_id) if r.id == ev.regimen_id), None)
    product = db.get(Product, current.product_id) if current and current.product_id else None
    days_per_course = current.days_per_course if current else 1
    dose_per_day = current.dose_g / days_per_course if current and current.dose_g else None
    minutes = infusion_service.estimate_chair_minutes(
        db, patient_id=patient_id, day=today, dose_g=dose_per_day, product=product
    )
    window = (ev.window_start, ev.window_end) if ev.window_start else None
    # The weeks around the window: from a week before it (never the past) to two after.
    first = start or max(today, (ev.window_start or today) - timedelta(days=7))
    last = first + timedelta(days=27)
    # Now in the site's time zone: nothing earlier than it is offered today.
    now = datetime.now(request.app.state.settings.zone).replace(tzinfo=None)
    plans = chair_plan.chair_days(
        db, first=first, last=last, minutes=minutes, course_days=days_per_course, now=now
    )
    days: dict[date, list] = {}
    for plan in plans:
        days.setdefault(plan.day, []).append(plan)
    bookings = [
        c
        for c in infusion_service.infusion_views(
            db, infusion_service.infusions(db, patient_id=patient_id)
        )
        if c["status"] == CourseStatus.BOOKED
    ]
    default_day = ev.due_on if ev.due_on and ev.due_on >= today else today
    values = values or {}
    preview_day = check or _typed_day(values.get("scheduled_on")) or default_day
    return render(
        request,
        "booking.html",
        {
            "default_day": default_day,
            "funding": _funding_preview(db, ev, patient_id, preview_day),
            "patient": patient,
            "ev": ev,
            "window": window,
            "minutes": minutes,
            "days": days,
            "days_per_course": days_per_course,
            "suggestions": chair_plan.suggested(
                db, window=window, now=now, minutes=minutes, course_days=days_per_course
            ),
            "bookings": bookings,
            "chairs": infusion_service.chairs(db),
            "nurse_options": [(n.username, n.full_name or n.username) for n in visits.nurses(db)],
            "today": today,
            "first": first,
            "errors": errors or {},
            "values": values,
            "prev_start": first - timedelta(days=28),
            "next_start": first + timedelta(days=28),
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/book")
@writes_on_get
def booking_page(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    today: Today,
    patient_id: IdPath,
    start: Annotated[Day | None, Query()] = None,
    check: Annotated[Day | None, Query()] = None,
):
    """Chairs by day around the window, free chairs inside the window suggested first; what
    a booking on the day to `check` (else the day the form offers) would leave of the
    patient's funding authorisation."""
    return _booking_page(
        request,
        db,
        user,
        today,
        patient_id,
        start=max(start, today) if start else None,
        check=check,
    )


def _carried_out(db, result, change) -> bool:
    """Make the change if the form parsed; on a refusal undo it and keep the reason shown."""
    if not result.ok:
        return False
    try:
        change(result.model)
    except ServiceError as exc:
        db.rollback()
        result.errors = service_error(exc)
        return False
    return True


@router.post("/patients/{patient_id}/book")
def book(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Book the chair; a taken chair or bad input shows the page again with the reason."""
    values, data = booking_input(form)
    result = parse(InfusionCreate, data, values)
    if _carried_out(
        db,
        result,
        lambda data: infusion_service.book_infusion(
            db, actor=actor(request, user), patient_id=patient_id, data=data, today=today
        ),
    ):
        return RedirectResponse(f"/patients/{patient_id}/book?booked=1", status_code=303)
    return _booking_page(
        request,
        db,
        user,
        today,
        patient_id,
        errors=result.errors,
        values=values,
        status=_status(result.errors),
    )


@router.post("/infusions/{infusion_id}/reschedule")
def reschedule(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    infusion_id: IdPath,
):
    """Move a booking to another day, time or chair."""
    infusion = infusion_service.get_infusion(db, infusion_id)
    values = form_values(form, BOOKING_FIELDS)
    result = parse(InfusionReschedule, values, values)
    if _carried_out(
        db,
        result,
        lambda data: infusion_service.reschedule_infusion(
            db, actor=actor(request, user), infusion_id=infusion_id, data=data, today=today
        ),
    ):
        return RedirectResponse(f"/patients/{infusion.patient_id}/book", status_code=303)
    errors = {f"{infusion_id}.{k}": v for k, v in result.errors.items()}
    return _booking_page(
        request,
        db,
        user,
        today,
        infusion.patient_id,
        errors=errors,
        values={str(infusion_id): values},
        # (A chair taken answers 422 here, as it always has; a funding refusal is a 409.)
        status=409 if f"{infusion_id}.override_reason" in errors else 422,
    )


@router.post("/infusions/{infusion_id}/cancel")
def cancel(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    infusion_id: IdPath,
):
    """Cancel a booking, with the reason."""
    infusion = infusion_service.get_infusion(db, infusion_id)
    values = form_values(form, ["reason"])
    result = parse(InfusionCancel, values, values)
    if not result.ok:  # blank, or too long: refused, never cut short without a word
        message = result.errors.get("reason") if values["reason"] else None
        return _booking_page(
            request,
            db,
            user,
            today,
            infusion.patient_id,
            status=422,
            errors={f"{infusion_id}.reason": message or "Say why it is cancelled."},
        )
    reason = result.model.reason
    try:
        infusion_service.cancel_infusion(
            db, actor=actor(request, user), infusion_id=infusion_id, reason=reason, today=today
        )
    except ServiceError as exc:
        db.rollback()
        return _booking_page(
            request,
            db,
            user,
            today,
            infusion.patient_id,
            errors=service_error(exc),
            status=exc.status_code,
        )
    return RedirectResponse(f"/patients/{infusion.patient_id}/book", status_code=303)
