"""TOKEN-AUTHENTICATED routes: the calendar feeds, the one exception to "every route needs a
login".

Calendar apps cannot log in, so the secret token in the address is the credential (256-bit
random, only its SHA-256 stored, revocable and rotatable: `tracker.services.calendar_feeds`).
An unknown or revoked token answers a bare 404, the same for both, so an address cannot be
probed. Patient feeds carry no health information beyond "Infusion appointment", a time and
a place; chair feeds (for staff) add the patient's initials and MRN; a nurse's feed gives
each home visit's window, address and the patient's initials (no name, no MRN).
"""

from fastapi import Request
from fastapi.responses import Response

from tracker.services import calendar_feeds
from tracker.web.deps import DbSession, Today, client_ip, writes_on_get
from tracker.web.routing import Router

router = Router(include_in_schema=False)

# Routes that authenticate by the token in their path instead of a login (for the
# route-by-role and login tests).
TOKEN_AUTHENTICATED_PATHS = (
    "/calendar/patient/{token}.ics",
    "/calendar/chair/{token}.ics",
    "/calendar/nurse/{token}.ics",
    # The patient's diary (tracker.web.diary): the token names one patient.
    "/diary/{token}",
    "/diary/{token}/course",  # a self-infused SC course, posted from the diary page
)
_HEADERS = {
    # A feed is fetched fresh each time and never kept by a shared cache.
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


@router.get("/calendar/patient/{token}.ics")
@writes_on_get
def patient_feed(request: Request, db: DbSession, today: Today, token: str):
    """A patient's appointments as an iCalendar feed (the token is the credential)."""
    return _answer(request, db, today, token, "patient")


@router.get("/calendar/chair/{token}.ics")
@writes_on_get
def chair_feed(request: Request, db: DbSession, today: Today, token: str):
    """A chair's bookings as an iCalendar feed for staff (the token is the credential)."""
    return _answer(request, db, today, token, "chair")


@router.get("/calendar/nurse/{token}.ics")
@writes_on_get
def nurse_feed(request: Request, db: DbSession, today: Today, token: str):
    """A nurse's home visits as an iCalendar feed for her phone: each visit's window, address
    and the patient's initials only (the token is the credential)."""
    return _answer(request, db, today, token, "nurse")


def _answer(request: Request, db, today, token: str, kind: str) -> Response:
    text = calendar_feeds.render_feed(
        db,
        token=token,
        kind=kind,
        today=today,
        settings=request.app.state.settings,
        ip_address=client_ip(request),
    )
    if text is None:
        return Response("Not found\n", status_code=404, media_type="text/plain", headers=_HEADERS)
    return Response(text, media_type="text/calendar; charset=utf-8", headers=_HEADERS)
