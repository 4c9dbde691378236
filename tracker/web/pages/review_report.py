"""The printable review report of a patient, for the 6-month and yearly reviews."""

from typing import Annotated

from fastapi import Query, Request

from tracker.schemas.common import Day
from tracker.services import audit
from tracker.services.review_report import PERIOD_DAYS, review_report
from tracker.web.deps import DbSession, IdPath, PageUser, Today, actor, writes_on_get
from tracker.web.labels import STATUS_LABELS, TIMING_LABELS
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)


@router.get("/patients/{patient_id}/review-report")
@writes_on_get
def review_report_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    today: Today,
    patient_id: IdPath,
    months: Annotated[int, Query(ge=1, le=120)] = 6,
    end: Annotated[Day | None, Query()] = None,
):
    """Baseline and latest scores against their MCIDs, doses, reactions and timeliness."""
    months = months if months in PERIOD_DAYS else 6
    report = review_report(db, patient_id=patient_id, end=min(end or today, today), months=months)
    audit.patient_viewed(
        db,
        actor=actor(request, user),
        patient_id=patient_id,
        part=f"review report, {months} months",
    )
    return render(
        request,
        "review_report.html",
        {
            "rep": report,
            "p": report.patient,
            "today": today,
            "timing_labels": TIMING_LABELS,
            "status_labels": STATUS_LABELS,
        },
    )
