"""The lot recall page and its CSV: every patient who received a lot (pharmacist and up)."""

import re
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response

from tracker.services import recall
from tracker.services.errors import ServiceError
from tracker.web.deps import DbSession, PagePharmacist, actor, writes_on_get
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)
Lot = Annotated[str, Query(max_length=60)]


@router.get("/recall")
@writes_on_get
def recall_page(request: Request, db: DbSession, user: PagePharmacist, lot: Lot = ""):
    """Search a lot; list the patients and courses that received it."""
    rows, error = [], None
    if lot.strip():
        try:
            rows = recall.lot_recall(db, actor=actor(request, user), lot=lot, via="page")
        except ServiceError as exc:
            error = exc.message
    return render(
        request,
        "recall.html",
        {
            "lot": lot.strip(),
            "rows": rows,
            "error": error,
            "searched": bool(lot.strip()),
            "patients": recall.patient_count(rows),
        },
    )


@router.get("/recall.csv")
@writes_on_get
def recall_csv(request: Request, db: DbSession, user: PagePharmacist, lot: Lot = ""):
    """The recall list as a CSV file for a spreadsheet."""
    if not lot.strip():
        return RedirectResponse("/recall", status_code=303)
    rows = recall.lot_recall(db, actor=actor(request, user), lot=lot, via="csv")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", lot.strip())[:60] or "lot"
    return Response(
        recall.recall_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="recall-{name}.csv"',
            "Cache-Control": "no-store",
        },
    )
