"""A nurse's week of home visits (clinical rules 9): visits day by day with the free time
between them, patients due at home and not yet booked with a form to book a visit, and the
nurse's calendar feed. Pharmacists choose any nurse and book; a nurse reads her own week."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.schemas.common import Day
from tracker.schemas.treatment import InfusionCreate
from tracker.services import calendar_feeds, visits
from tracker.services import infusions as infusion_service
from tracker.services.errors import ServiceError
from tracker.services.policy import load_policy
from tracker.web.deps import (
    DbSession,
    PageNurse,
    PagePharmacist,
    Today,
    UsernamePath,
    actor,
    require_role,
)
from tracker.web.forms import VerifiedForm, form_values, parse, service_error
from tracker.web.pages.calendar_links import feed_address
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

VISIT_FIELDS = ["patient_id", "nurse", "scheduled_on", "start_time", "visit_address", "week"]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_page(
    request,
    db,
    user,
    today,
    *,
    nurse_name: str | None,
    week: date | None,
    errors=None,
    values=None,
    new_address: str | None = None,
    notice: str = "",
    status: int = 200,
):
    can_book = actor(request, user).can("pharmacist")
    if user.role == "nurse" and (nurse_name is None or nurse_name == user.username):
        nurse_name = user.username
    elif not can_book:
        require_role(user, "pharmacist")  # a nurse reads her own week only
    nurses = visits.nurses(db)
    if nurse_name is None and nurses:
        nurse_name = nurses[0].username
    nurse = visits.get_nurse(db, nurse_name) if nurse_name else None
    start = _monday(week or today)
    policy = load_policy(db)
    response = render(
        request,
        "nurse_week.html",
        {
            "nurse": nurse,
            "nurses": nurses,
            "can_book": can_book,
            "week": start,
            "prev_week": start - timedelta(days=7),
            "next_week": start + timedelta(days=7),
            "today": today,
            "days": (
                visits.nurse_week(
                    db,
                    nurse=nurse,
                    week_start=start,
                    buffer_minutes=policy.home_visit_buffer_minutes,
                )
                if nurse
                else []
            ),
            "due": visits.due_at_home(db, week_start=start) if can_book else [],
            "buffer": policy.home_visit_buffer_minutes,
            "feed": (
                calendar_feeds.live_feed(db, kind="nurse", subject_id=nurse.id)
                if nurse and nurse.id is not None and can_book
                else None
            ),
            "new_address": new_address,
            "notice": notice,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"  # may hold a feed address shown once
    return response


@router.get("/nurses/week")
def nurse_week(
    request: Request,
    db: DbSession,
    user: PageNurse,
    today: Today,
    nurse: Annotated[str | None, Query(max_length=64)] = None,
    week: Annotated[Day | None, Query()] = None,
):
    """A nurse's visits day by day, free time, and patients due at home not yet booked."""
    return _week_page(request, db, user, today, nurse_name=nurse or None, week=week)


@router.post("/nurses/week/book")
def book_visit(
    request: Request, db: DbSession, user: PagePharmacist, form: VerifiedForm, today: Today
):
    """Book a home visit with the nurse (the booking service's checks, site home_nurse)."""
    values = form_values(form, VISIT_FIELDS)
    week = _day(values["week"])
    patient_id = values["patient_id"]
    errors: dict[str, str] = {}
    if not patient_id.isdigit():
        errors = {"patient_id": "choose a patient"}
    else:
        data = {k: values[k] for k in ("nurse", "scheduled_on", "start_time", "visit_address")} | {
            "site": "home_nurse"
        }
        result = parse(InfusionCreate, data, values)
        errors = result.errors
        if result.ok:
            try:
                infusion_service.book_infusion(
                    db,
                    actor=actor(request, user),
                    patient_id=int(patient_id),
                    data=result.model,
                    today=today,
                )
            except ServiceError as exc:
                db.rollback()
                errors = service_error(exc)
    if not errors:
        target = f"/nurses/week?nurse={values['nurse']}&week={(week or today).isoformat()}"
        return RedirectResponse(target + "&booked=1", status_code=303)
    return _week_page(
        request,
        db,
        user,
        today,
        nurse_name=values["nurse"] or None,
        week=week,
        errors=errors | {"patient": patient_id},
        values=values,
        status=409 if "nurse" in errors or "override_reason" in errors else 422,
    )


@router.post("/nurses/{username}/calendar/issue")
def issue_nurse_feed(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    username: UsernamePath,
):
    """Make a new calendar feed address for the nurse (the old one stops working)."""
    nurse = visits.get_nurse(db, username)
    assert nurse.id is not None
    token, _ = calendar_feeds.issue_feed(
        db, actor=actor(request, user), kind="nurse", subject_id=nurse.id
    )
    return _week_page(
        request,
        db,
        user,
        today,
        nurse_name=nurse.username,
        week=None,
        new_address=feed_address(request, "nurse", token),
    )


@router.post("/nurses/{username}/calendar/revoke")
def revoke_nurse_feed(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    username: UsernamePath,
):
    """Revoke the nurse's feed: its address answers 404 from now on."""
    nurse = visits.get_nurse(db, username)
    assert nurse.id is not None
    calendar_feeds.revoke_feed(db, actor=actor(request, user), kind="nurse", subject_id=nurse.id)
    return _week_page(
        request,
        db,
        user,
        today,
        nurse_name=nurse.username,
        week=None,
        notice="The calendar feed was revoked.",
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
