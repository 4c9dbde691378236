"""TOKEN-AUTHENTICATED: the patient's diary page, `/diary/{token}` (clinical rules 10).

The secret token in the address names one patient and can do only this: show the page (the
patient's first name, nothing else of the record) and record grip readings, a wear-off day
and a note as home readings, and, for a patient on an SC regimen, a course they infused
themselves (site `self`, through the same service as a course staff record). It is not a
session and not a bearer token: no other route reads it. An unknown token answers 404 and
counts as a failed try from the address (429 after `login_throttle.FAILURE_LIMIT` in its
window); an expired or revoked link answers 410 with plain words and writes nothing. The
forms carry a double-submit token of their own, as the login form does, and must come from
this site.
"""

import math
import secrets
from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from tracker.rules.vocabulary import MeasureCode, Timing
from tracker.services import diary, self_courses
from tracker.services.errors import Invalid, NotFound, ServiceError
from tracker.services.products import product_choices
from tracker.store.types import utcnow
from tracker.web.deps import DbSession, Today, client_ip, writes_on_get
from tracker.web.routing import Router
from tracker.web.security import from_this_site
from tracker.web.self_course_entry import form_day, self_course_entry
from tracker.web.templating import render

router = Router(include_in_schema=False)

DIARY_CSRF_COOKIE = "tracker_diary_csrf"
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
DEVICES = (
    (MeasureCode.GRIP_DYNAMOMETER, "Jamar / dynamometer (kg)"),
    (MeasureCode.GRIP_VIGORIMETER, "Vigorimeter (kPa)"),
)
TIMINGS = (
    (Timing.PRE_INFUSION, "The day before or the morning of an infusion"),
    (Timing.POST_INFUSION, "In the days after an infusion"),
    (Timing.CLINIC, "Another day"),
)


def _opened(request: Request, db, token: str, today: date):
    """(opened link, None) or (None, the answer to give instead)."""
    try:
        return diary.open_link(
            db, token=token, today=today, now=utcnow(), ip_address=client_ip(request)
        ), None
    except diary.DiaryGuessThrottled as exc:
        page = _gone(request, exc.status_code, exc.message)
        page.headers["Retry-After"] = str(exc.retry_after_seconds)
        return None, page
    except diary.DiaryLinkGone:
        return None, _gone(
            request,
            410,
            "This diary link no longer works: it has expired or was withdrawn. "
            "Please ask the infusion team for a new one.",
        )
    except NotFound:
        return None, _gone(
            request, 404, "This diary link is not known. Check the address you were given."
        )


def _gone(request: Request, status: int, message: str) -> Response:
    page = render(request, "diary_closed.html", {"message": message}, status_code=status)
    page.headers.update(_HEADERS)
    return page


def _form(
    request: Request,
    *,
    db,
    opened: diary.Opened,
    today: date,
    values: dict | None = None,
    error: str = "",
    done: int = 0,
    course_values: dict | None = None,
    course_error: str = "",
    course_done: bool = False,
    status_code: int = 200,
) -> Response:
    csrf = secrets.token_urlsafe(24)
    # The infusion section only for a patient whose current regimen is SC (clinical rules 9).
    plan = self_courses.sc_plan(db, patient_id=opened.link.patient_id, today=today)
    page = render(
        request,
        "diary.html",
        {
            "first_name": opened.first_name,
            "today": today,
            "devices": DEVICES,
            "timings": TIMINGS,
            "values": values or {},
            "error": error,
            "done": done,
            "plan": plan,
            "products": product_choices(db) if plan else [],
            "course_values": course_values or {},
            "course_error": course_error,
            "course_done": course_done,
            "diary_csrf": csrf,
            # Both forms name their address: after the infusion form's POST the page's own
            # address ends in /course.
            "diary_path": f"/diary/{opened.token}",
        },
        status_code=status_code,
    )
    page.headers.update(_HEADERS)
    settings = request.app.state.settings
    page.set_cookie(
        DIARY_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=settings.env == "production",
        max_age=3600,
        path="/diary",
    )
    return page


@router.get("/diary/{token}")
@writes_on_get
def diary_page(request: Request, db: DbSession, today: Today, token: str):
    """The patient's diary form (the token in the address is the credential)."""
    opened, refusal = _opened(request, db, token, today)
    if opened is None:
        return refusal
    return _form(request, db=db, opened=opened, today=today)


def _forged(request: Request, diary_csrf: str) -> bool:
    """True unless the form carries this browser's diary token and came from this site."""
    settings = request.app.state.settings
    cookie = request.cookies.get(DIARY_CSRF_COOKIE, "")
    foreign = not from_this_site(
        request.headers, own_url=str(request.base_url), base_url=settings.base_url
    )
    return foreign or not cookie or not secrets.compare_digest(cookie, diary_csrf)


def _number(text: str, field: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Invalid("write a number, such as 32.5", field=field) from None
    if not math.isfinite(value):
        raise Invalid("write a number, such as 32.5", field=field)
    return value


@router.post("/diary/{token}")
def diary_submit(
    request: Request,
    db: DbSession,
    today: Today,
    token: str,
    diary_csrf: Annotated[str, Form(max_length=100)] = "",
    taken_on: Annotated[str, Form(max_length=10)] = "",
    grip_measure: Annotated[str, Form(max_length=30)] = MeasureCode.GRIP_DYNAMOMETER,
    grip_left: Annotated[str, Form(max_length=20)] = "",
    grip_right: Annotated[str, Form(max_length=20)] = "",
    timing: Annotated[str, Form(max_length=15)] = "",
    wore_off_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
):
    """Record what the patient entered, as home readings of the link's own patient."""
    opened, refusal = _opened(request, db, token, today)
    if opened is None:
        return refusal
    values = {
        "taken_on": taken_on,
        "grip_measure": grip_measure,
        "grip_left": grip_left,
        "grip_right": grip_right,
        "timing": timing,
        "wore_off_on": wore_off_on,
        "note": note,
    }

    def again(error: str, status_code: int) -> Response:
        return _form(
            request,
            db=db,
            opened=opened,
            today=today,
            values=values,
            error=error,
            status_code=status_code,
        )

    if _forged(request, diary_csrf):
        return again("The form expired. Please try again.", 403)
    try:
        left = _number(grip_left, "grip_left")
        right = _number(grip_right, "grip_right")
        if (left is not None or right is not None) and not timing:
            raise Invalid("say when you measured your grip", field="timing")
        entry = diary.DiaryEntry(
            taken_on=form_day(taken_on, "taken_on") or today,
            grip_measure=grip_measure,
            grip_left=left,
            grip_right=right,
            timing=timing or Timing.CLINIC,
            wore_off_on=form_day(wore_off_on, "wore_off_on"),
            note=note,
        )
        done = diary.record_entry(
            db, link=opened.link, entry=entry, today=today, ip_address=client_ip(request)
        )
    except Invalid as exc:
        return again(f"{_FIELD_NAMES.get(exc.field or '', 'Entry')}: {exc.message}", 422)
    if not done:
        return again("Nothing to save: fill in at least one box.", 422)
    return _form(request, db=db, opened=opened, today=today, done=done)


@router.post("/diary/{token}/course")
def diary_course(
    request: Request,
    db: DbSession,
    today: Today,
    token: str,
    diary_csrf: Annotated[str, Form(max_length=100)] = "",
    given_on: Annotated[str, Form(max_length=10)] = "",
    product_code: Annotated[str, Form(max_length=40)] = "",
    lot_number: Annotated[str, Form(max_length=60)] = "",
    vials: Annotated[str, Form(max_length=6)] = "",
    expires_on: Annotated[str, Form(max_length=10)] = "",
    reactions: Annotated[str, Form(max_length=2000)] = "",
):
    """Record a course the patient infused at home (SC only), as entered by the patient."""
    opened, refusal = _opened(request, db, token, today)
    if opened is None:
        return refusal
    values = {
        "given_on": given_on,
        "product_code": product_code,
        "lot_number": lot_number,
        "vials": vials,
        "expires_on": expires_on,
        "reactions": reactions,
    }

    def again(error: str, status_code: int) -> Response:
        return _form(
            request,
            db=db,
            opened=opened,
            today=today,
            course_values=values,
            course_error=error,
            status_code=status_code,
        )

    if _forged(request, diary_csrf):
        return again("The form expired. Please try again.", 403)
    try:
        course = self_course_entry(values, today=today)
        self_courses.record_self_course(
            db,
            actor=diary.link_actor(opened.link, client_ip(request)),
            patient_id=opened.link.patient_id,
            course=course,
            today=today,
        )
    except ServiceError as exc:
        # Nothing of a refused course stays (the request's transaction is rolled back).
        db.rollback()
        if exc.field == "route":
            message = (
                "Your treatment is not one you give yourself at home, so there is nothing "
                "to record here. Please call your infusion team."
            )
            return again(message, exc.status_code)
        name = _COURSE_FIELD_NAMES.get(exc.field or "", "Infusion")
        return again(f"{name}: {exc.message}", exc.status_code)
    return _form(request, db=db, opened=opened, today=today, course_done=True)


# The infusion section's boxes, as the patient sees them, by the field a refusal names.
_COURSE_FIELD_NAMES = {
    "scheduled_on": "Day you infused",
    "lots": "Lot number",
    "lots.0.lot_number": "Lot number",
    "lots.0.vials": "Vials or syringes",
    "lots.0.expires_on": "Expiry date",
    "product_code": "Product",
    "reactions": "How it went",
    "dose_g": "Dose",
}

_FIELD_NAMES = {
    "grip_left": "Left hand",
    "grip_right": "Right hand",
    "value": "Grip",
    "taken_on": "Day measured",
    "timing": "When",
    "grip_measure": "Device",
    "wore_off_on": "Day it wore off",
}
