"""The patient list."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request

from tracker.services import patients as patient_service
from tracker.web.deps import DbSession, PageUser
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)


@router.get("/patients")
def patients_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    """Patients, searchable by MRN or name, a page at a time."""
    total, rows = patient_service.search_patients(db, query=q, limit=limit, offset=offset)

    def page_query(new_offset: int) -> str:
        return urlencode({"q": q, "offset": max(new_offset, 0), "limit": limit})

    return render(
        request,
        "patients.html",
        {
            "patients": rows,
            "total": total,
            "q": q,
            "offset": offset,
            "limit": limit,
            "page_query": page_query,
        },
    )
