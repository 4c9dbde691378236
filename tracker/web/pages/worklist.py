"""The worklist: the home page of pharmacy staff and nurses."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request

from tracker.rules.vocabulary import FlagCode, WorklistTab
from tracker.schemas.common import Day
from tracker.services import worklist as worklist_service
from tracker.web.deps import DbSession, PageUser, Today
from tracker.web.labels import ACTION_LABELS, FLAG_LABELS
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

# The tabs in the order staff work through them: (view code, label).
TABS = (
    (FlagCode.OVERDUE, FLAG_LABELS[FlagCode.OVERDUE]),
    (FlagCode.NEEDS_BOOKING, FLAG_LABELS[FlagCode.NEEDS_BOOKING]),
    (WorklistTab.BOOKED_THIS_WEEK, "Booked this week"),
    (FlagCode.WANING_RESPONSE, FLAG_LABELS[FlagCode.WANING_RESPONSE]),
    (FlagCode.REFRACTORY, FLAG_LABELS[FlagCode.REFRACTORY]),
    (FlagCode.NO_RESPONSE, FLAG_LABELS[FlagCode.NO_RESPONSE]),
    (FlagCode.REVIEW_DUE, FLAG_LABELS[FlagCode.REVIEW_DUE]),
    # Funding (clinical rules 8): listed by the day the cause bites, soonest first.
    (FlagCode.AUTHORIZATION_MISSING, FLAG_LABELS[FlagCode.AUTHORIZATION_MISSING]),
    (FlagCode.AUTHORIZATION_ENDING, FLAG_LABELS[FlagCode.AUTHORIZATION_ENDING]),
    (WorklistTab.TAPER_CANDIDATES, "Taper candidates"),
)


@router.get("/")
def worklist_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    today: Today,
    view: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    on: Annotated[Day | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=10, le=200)] = 50,
):
    """Today's work: tabs with counts, the most urgent patients first."""
    day = on or today
    known = {code for code, _ in TABS}
    chosen = view if view in known else None
    total, items = worklist_service.worklist(
        db, on=day, view=chosen, query=q, limit=limit, offset=offset
    )
    counts = worklist_service.view_counts(db, on=day)

    def page_query(new_offset: int) -> str:
        return urlencode(
            {"view": view, "q": q, "offset": max(new_offset, 0), "limit": limit}
            | ({"on": day.isoformat()} if on else {})
        )

    return render(
        request,
        "worklist.html",
        {
            "tabs": TABS,
            "view": chosen or "",
            "counts": counts,
            "items": items,
            "total": total,
            "q": q,
            "day": day,
            "today": today,
            "offset": offset,
            "limit": limit,
            "page_query": page_query,
            "action_labels": ACTION_LABELS,
            "failed_emails": worklist_service.failed_email_count(db),
        },
    )
