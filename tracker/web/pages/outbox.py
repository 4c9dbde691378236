"""The outbox page: e-mails pending, sent, failed and withdrawn, with a retry button."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.jobs.sweep import JOB_NAME as SWEEP_RUN_NAME
from tracker.services import job_runs, outbox, staff
from tracker.web.deps import DbSession, IdPath, PagePharmacist, client_ip
from tracker.web.forms import VerifiedForm
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

TAB_LABELS = {"pending": "Pending", "sent": "Sent", "failed": "Failed", "withdrawn": "Withdrawn"}
KIND_LABELS = {
    outbox.REMINDER: "Appointment reminder",
    outbox.WINDOW_OPEN: "Booking notice",
    outbox.SC_REMINDER: "Home infusion day",
    outbox.DIGEST: "Pharmacy digest",
    outbox.ALERT: "Clinical alert",
}


@router.get("/outbox")
def outbox_page(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    status: Annotated[str, Query(max_length=20)] = "pending",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=10, le=200)] = 50,
):
    """One tab of the outbox, newest trouble first."""
    tab = status if status in outbox.TABS else "pending"
    total, rows = outbox.messages(db, tab=tab, limit=limit, offset=offset)

    def page_query(new_offset: int) -> str:
        return urlencode({"status": tab, "offset": max(new_offset, 0), "limit": limit})

    return render(
        request,
        "outbox.html",
        {
            "tab": tab,
            "tabs": TAB_LABELS,
            "counts": outbox.counts(db),
            "rows": rows,
            "total": total,
            "offset": offset,
            "limit": limit,
            "page_query": page_query,
            "kind_labels": KIND_LABELS,
            "last_sweep": job_runs.last_run(db, name=SWEEP_RUN_NAME),
        },
    )


@router.post("/outbox/{message_id}/retry")
def retry_message(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,  # the session's CSRF token, compared in constant time
    message_id: IdPath,
):
    """Put a failed e-mail back in the queue (audited)."""
    outbox.retry_failed(db, actor=staff.actor_for(user, client_ip(request)), outbox_id=message_id)
    return RedirectResponse("/outbox?status=pending", status_code=303)
