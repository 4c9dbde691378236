"""Admin page for the infusion suite: its chairs, weekly opening hours and closure days."""

from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.rules.opening import WEEKDAY_NAMES
from tracker.schemas.opening import ChairCreate, ChairRename, ClosureCreate, OpeningHoursWrite
from tracker.services import chair_admin, opening
from tracker.services.errors import ServiceError
from tracker.web.deps import DbSession, IdPath, PageAdmin, Today, actor
from tracker.web.forms import FormResult, VerifiedForm, form_values, parse, service_error
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(prefix="/admin/chairs", include_in_schema=False)

CHAIR_FIELDS = ["code", "name"]
CLOSURE_FIELDS = ["day", "reason"]
CALENDAR_FIELDS = ["holiday_country", "holiday_subdivision"]
HOURS_FIELDS = [f"{edge}_{d}" for d in range(7) for edge in ("opens", "closes")]
# Public holidays shown ahead on the page, so an admin sees what the country closes.
HOLIDAYS_AHEAD_DAYS = 365

DONE_NOTES = {
    "chair": "The chair was added.",
    "rename": "The chair was renamed.",
    "retire": "The chair is retired: it is no longer offered for bookings.",
    "hours": "The opening hours were saved.",
    "closure": "The closure day was added.",
    "reopen": "The closure day was removed.",
}


def _page(request, db, today, *, values=None, errors=None, notice="", status=200):
    week = opening.weekly_hours(db)
    calendar = opening.site_calendar(db)
    hour_values = {}
    for d, hours in enumerate(week):
        hour_values[f"opens_{d}"] = f"{hours.opens:%H:%M}" if hours else ""
        hour_values[f"closes_{d}"] = f"{hours.closes:%H:%M}" if hours else ""
    defaults = hour_values | {
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
    }
    last = today + timedelta(days=HOLIDAYS_AHEAD_DAYS)
    return render(
        request,
        "admin_chairs.html",
        {
            "chairs": chair_admin.all_chairs(db),
            "weekdays": list(enumerate(WEEKDAY_NAMES)),
            "closures": opening.closures(db, first=today),
            "holidays": opening.public_holidays(
                calendar.holiday_country, calendar.holiday_subdivision, first=today, last=last
            ),
            "holiday_country": calendar.holiday_country,
            "values": defaults | (values or {}),
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status,
    )


@router.get("")
def chairs_page(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    today: Today,
    done: Annotated[str, Query(max_length=40)] = "",
):
    """The chairs, the week's opening hours, the holiday country and the closure days."""
    return _page(request, db, today, notice=DONE_NOTES.get(done, ""))


def _done(request, db, today, result: FormResult | None, change, done: str, *, prefix: str = ""):
    """Make the change if the form parsed (or had nothing to parse); else show the page
    again with the reasons beside the fields, under `prefix`."""
    errors, values, status = {}, {}, 422
    if result is None or result.ok:
        try:
            change(result.model if result else None)
            return RedirectResponse(f"/admin/chairs?done={done}", status_code=303)
        except ServiceError as exc:
            db.rollback()
            errors, status = service_error(exc), exc.status_code
    if result is not None:
        errors, values = errors or result.errors, result.values
    return _page(
        request,
        db,
        today,
        status=status,
        errors={f"{prefix}{k}": v for k, v in errors.items()},
        values={f"{prefix}{k}": v for k, v in values.items()},
    )


@router.post("")
def add_chair(request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, today: Today):
    """Add a chair; it is offered for bookings at once."""
    values = form_values(form, CHAIR_FIELDS)
    result = parse(ChairCreate, values, values)
    return _done(
        request,
        db,
        today,
        result,
        lambda data: chair_admin.add_chair(
            db, actor=actor(request, user), code=data.code, name=data.name
        ),
        "chair",
        prefix="new_",
    )


@router.post("/{chair_id}/rename")
def rename_chair(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    form: VerifiedForm,
    today: Today,
    chair_id: IdPath,
):
    """Give a chair another name; its code and bookings stay."""
    values = form_values(form, ["name"])
    result = parse(ChairRename, values, values)
    return _done(
        request,
        db,
        today,
        result,
        lambda data: chair_admin.rename_chair(
            db, actor=actor(request, user), chair_id=chair_id, name=data.name
        ),
        "rename",
        prefix=f"chair_{chair_id}.",
    )


@router.post("/{chair_id}/retire")
def retire_chair(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    form: VerifiedForm,
    today: Today,
    chair_id: IdPath,
):
    """Take a chair out of use (refused while courses are booked on it ahead)."""
    return _done(
        request,
        db,
        today,
        None,
        lambda _: chair_admin.retire_chair(
            db, actor=actor(request, user), chair_id=chair_id, today=today
        ),
        "retire",
        prefix=f"chair_{chair_id}.",
    )


@router.post("/hours")
def save_hours(request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, today: Today):
    """Save the week's hours (both times blank: closed that day) and the holiday country."""
    values = form_values(form, HOURS_FIELDS + CALENDAR_FIELDS)
    data = {
        "days": [
            {"opens": values[f"opens_{d}"] or None, "closes": values[f"closes_{d}"] or None}
            for d in range(7)
        ],
        "holiday_country": values["holiday_country"],
        "holiday_subdivision": values["holiday_subdivision"],
    }
    result = parse(OpeningHoursWrite, data, values)
    # A weekday's refusal is shown beside that weekday's row.
    result.errors = {_hours_key(k): v for k, v in result.errors.items()}

    def change(hours: OpeningHoursWrite) -> None:
        opening.set_opening(
            db,
            actor=actor(request, user),
            hours=[(d.opens, d.closes) if d.opens and d.closes else None for d in hours.days],
            holiday_country=hours.holiday_country,
            holiday_subdivision=hours.holiday_subdivision,
        )

    return _done(request, db, today, result, change, "hours")


def _hours_key(field: str) -> str:
    parts = field.split(".")
    return f"hours.{parts[1]}" if parts[0] == "days" and len(parts) > 1 else field


@router.post("/closures")
def add_closure(request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, today: Today):
    """Close the suite on a day, with the reason; bookings that day are refused."""
    values = form_values(form, CLOSURE_FIELDS)
    result = parse(ClosureCreate, values, values)
    return _done(
        request,
        db,
        today,
        result,
        lambda data: opening.add_closure(
            db, actor=actor(request, user), day=data.day, reason=data.reason, today=today
        ),
        "closure",
        prefix="closure_",
    )


@router.post("/closures/{closure_id}/delete")
def remove_closure(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    form: VerifiedForm,
    today: Today,
    closure_id: IdPath,
):
    """Open the suite again on a closure day."""
    return _done(
        request,
        db,
        today,
        None,
        lambda _: opening.remove_closure(db, actor=actor(request, user), closure_id=closure_id),
        "reopen",
    )
