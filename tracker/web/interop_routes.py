"""Every route of the interoperability work, for the app to include at once.

- API (bearer token): /api/v1/patients/{id}/fhir, /api/v1/recall.
- Pages (login): /import, /recall, /recall.csv, /patients/{id}/review-report,
  /patients/{id}/calendar, /chairs/calendars, /export/caseload.zip.
- TOKEN-AUTHENTICATED, no login: /calendar/patient/{token}.ics and
  /calendar/chair/{token}.ics (tracker.web.feeds).
"""

from tracker.web import diary, feeds
from tracker.web.api import interop as api_interop
from tracker.web.pages import (
    calendar_links,
    caseload_import,
    diary_links,
    recall,
    review_report,
)
from tracker.web.routing import Router

router = Router()
router.include_router(api_interop.router)
router.include_router(caseload_import.router)
router.include_router(recall.router)
router.include_router(review_report.router)
router.include_router(calendar_links.router)
router.include_router(feeds.router)
router.include_router(diary_links.router)
router.include_router(diary.router)
