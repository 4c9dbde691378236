"""The suite's opening hours and closure days over the API: anyone reads, admins change."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request

from tracker.rules.opening import WEEKDAY_NAMES
from tracker.schemas.common import Day
from tracker.schemas.opening import (
    ClosureCreate,
    ClosureRead,
    OpeningHoursRead,
    OpeningHoursWrite,
)
from tracker.services import opening
from tracker.services.errors import Invalid
from tracker.web.deps import ApiAdmin, ApiUser, DbSession, IdPath, Today, actor
from tracker.web.openapi_answers import also_answers
from tracker.web.routing import Router

router = Router(prefix="/api/v1", tags=["opening hours"])

# The longest span of closures one request may list (public holidays are computed per year).
MAX_CLOSURE_SPAN_DAYS = 3 * 366


def _hours_read(db) -> dict:
    calendar = opening.site_calendar(db)
    return {
        "days": [
            {
                "weekday": d,
                "name": WEEKDAY_NAMES[d],
                "opens": f"{h.opens:%H:%M}" if h else None,
                "closes": f"{h.closes:%H:%M}" if h else None,
            }
            for d, h in enumerate(opening.weekly_hours(db))
        ],
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
    }


@router.get("/opening-hours", response_model=OpeningHoursRead)
def read_opening_hours(db: DbSession, user: ApiUser):
    """The week's hours (Monday first; null times: closed) and the holiday country."""
    return _hours_read(db)


@router.put("/opening-hours", response_model=OpeningHoursRead)
def write_opening_hours(request: Request, db: DbSession, user: ApiAdmin, body: OpeningHoursWrite):
    """Replace the week's hours and the holiday country (422 naming the weekday or field)."""
    opening.set_opening(
        db,
        actor=actor(request, user),
        hours=[(d.opens, d.closes) if d.opens and d.closes else None for d in body.days],
        holiday_country=body.holiday_country,
        holiday_subdivision=body.holiday_subdivision,
    )
    return _hours_read(db)


@router.get("/closures", response_model=list[ClosureRead])
def list_closures(
    db: DbSession,
    user: ApiUser,
    today: Today,
    from_day: Annotated[Day | None, Query(alias="from")] = None,
    to_day: Annotated[Day | None, Query(alias="to")] = None,
):
    """Closure days from `from` (today) to `to` (a year on): the site's own and the public
    holidays of its country (`kind` "holiday", no id), by day."""
    first = from_day or today
    last = to_day or first + timedelta(days=365)
    if last < first or (last - first).days > MAX_CLOSURE_SPAN_DAYS:
        raise Invalid(
            f"'to' must be on or after 'from' and at most {MAX_CLOSURE_SPAN_DAYS} days later",
            field="to",
        )
    calendar = opening.site_calendar(db)
    rows: list[tuple[date, dict]] = [
        (c.day, {"id": c.id, "day": c.day, "reason": c.reason, "kind": "site"})
        for c in opening.closures(db, first=first, last=last)
    ]
    rows += [
        (day, {"id": None, "day": day, "reason": name, "kind": "holiday"})
        for day, name in opening.public_holidays(
            calendar.holiday_country, calendar.holiday_subdivision, first=first, last=last
        ).items()
    ]
    return [row for _, row in sorted(rows, key=lambda r: (r[0], r[1]["kind"]))]


@router.post("/closures", status_code=201, response_model=ClosureRead, responses=also_answers(409))
def add_closure(request: Request, db: DbSession, user: ApiAdmin, body: ClosureCreate, today: Today):
    """Close the suite on a day (409 when it is closed already, or while courses are booked
    in the suite that day; 422 for a day past); bookings that day are refused."""
    row = opening.add_closure(
        db, actor=actor(request, user), day=body.day, reason=body.reason, today=today
    )
    return {"id": row.id, "day": row.day, "reason": row.reason, "kind": "site"}


@router.delete("/closures/{closure_id}", response_model=ClosureRead)
def remove_closure(request: Request, db: DbSession, user: ApiAdmin, closure_id: IdPath):
    """Open the suite again on a closure day; the answer is the closure removed."""
    row = opening.remove_closure(db, actor=actor(request, user), closure_id=closure_id)
    return {"id": closure_id, "day": row.day, "reason": row.reason, "kind": "site"}
