"""Managing calendar feeds: a patient's (pharmacist and up) and the chairs' (admin).

A new feed address is shown once, on the page that answers the form that made it: only its
SHA-256 is kept, so it can never be shown again, only replaced or revoked.
"""

from fastapi import Request

from tracker.services import audit, calendar_feeds
from tracker.services import patients as patient_service
from tracker.services.errors import NotFound
from tracker.web.deps import DbSession, IdPath, PageAdmin, PagePharmacist, actor, writes_on_get
from tracker.web.forms import VerifiedForm
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)


def feed_address(request: Request, kind: str, token: str) -> str:
    """The https (or http) address of a feed, under the site's base URL."""
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}/calendar/{kind}/{token}.ics"


def _patient_page(
    request, db, patient_id: int, *, new_address: str | None = None, notice: str = ""
):
    patient = patient_service.get_patient(db, patient_id)
    return _no_store(
        render(
            request,
            "calendar_patient.html",
            {
                "p": patient,
                "notice": notice,
                "new_address": new_address,
                "feed": calendar_feeds.live_feed(db, kind="patient", subject_id=patient_id),
            },
        )
    )


def _no_store(response):
    # A page may hold a feed address that is shown once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/patients/{patient_id}/calendar")
@writes_on_get
def patient_calendar(request: Request, db: DbSession, user: PagePharmacist, patient_id: IdPath):
    """Whether the patient has a live calendar feed; forms to make, replace or revoke it."""
    page = _patient_page(request, db, patient_id)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="calendar feed"
    )
    return page


@router.post("/patients/{patient_id}/calendar/issue")
def issue_patient_feed(
    request: Request, db: DbSession, user: PagePharmacist, form: VerifiedForm, patient_id: IdPath
):
    """Make a new feed address for the patient (the old one stops working)."""
    token, _ = calendar_feeds.issue_feed(
        db, actor=actor(request, user), kind="patient", subject_id=patient_id
    )
    return _patient_page(
        request, db, patient_id, new_address=feed_address(request, "patient", token)
    )


@router.post("/patients/{patient_id}/calendar/revoke")
def revoke_patient_feed(
    request: Request, db: DbSession, user: PagePharmacist, form: VerifiedForm, patient_id: IdPath
):
    """Revoke the patient's feed: its address answers 404 from now on."""
    calendar_feeds.revoke_feed(
        db, actor=actor(request, user), kind="patient", subject_id=patient_id
    )
    return _patient_page(request, db, patient_id, notice="The calendar feed was revoked.")


def _chairs_page(
    request, db, *, new_address: str | None = None, chair_code: str = "", notice: str = ""
):
    return _no_store(
        render(
            request,
            "calendar_chairs.html",
            {
                "chairs": calendar_feeds.chair_feeds(db),
                "new_address": new_address,
                "chair_code": chair_code,
                "notice": notice,
            },
        )
    )


@router.get("/chairs/calendars")
def chair_calendars(request: Request, db: DbSession, user: PageAdmin):
    """Each chair's calendar feed for staff; forms to make, replace or revoke them."""
    return _chairs_page(request, db)


@router.post("/chairs/{chair_id}/calendar/issue")
def issue_chair_feed(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, chair_id: IdPath
):
    """Make a new feed address for a chair (the old one stops working)."""
    token, _ = calendar_feeds.issue_feed(
        db, actor=actor(request, user), kind="chair", subject_id=chair_id
    )
    code = next((c.code for c, _ in calendar_feeds.chair_feeds(db) if c.id == chair_id), "")
    return _chairs_page(
        request, db, new_address=feed_address(request, "chair", token), chair_code=code
    )


@router.post("/chairs/{chair_id}/calendar/revoke")
def revoke_chair_feed(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, chair_id: IdPath
):
    """Revoke a chair's feed."""
    try:
        calendar_feeds.revoke_feed(
            db, actor=actor(request, user), kind="chair", subject_id=chair_id
        )
    except NotFound:
        return _chairs_page(request, db, notice="That chair has no live feed.")
    return _chairs_page(request, db, notice="The chair's calendar feed was revoked.")
