"""Managing a patient's diary link (pharmacist and up): issue, replace, revoke.

A new link is shown once, on the page that answers the form that made it: only its SHA-256
is kept. The page lists the notes the patient wrote through the link.
"""

from fastapi import Request

from tracker.services import audit, diary
from tracker.services import patients as patient_service
from tracker.web.deps import DbSession, IdPath, PagePharmacist, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)


def diary_address(request: Request, token: str) -> str:
    """The address of a diary link, under the site's base URL."""
    base = request.app.state.settings.base_url.rstrip("/")
    return f"{base}/diary/{token}"


def _page(request, db, patient_id: int, today, *, new_address: str | None = None, notice=""):
    patient = patient_service.get_patient(db, patient_id)
    response = render(
        request,
        "diary_patient.html",
        {
            "p": patient,
            "notice": notice,
            "new_address": new_address,
            "link": diary.live_link(db, patient_id=patient_id, today=today),
            "notes": diary.notes(db, patient_id=patient_id),
        },
    )
    # A page may hold a link that is shown once: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/patients/{patient_id}/diary")
@writes_on_get
def patient_diary(
    request: Request, db: DbSession, user: PagePharmacist, today: Today, patient_id: IdPath
):
    """Whether the patient has a live diary link, the notes they wrote; forms to manage it."""
    page = _page(request, db, patient_id, today)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="diary")
    return page


@router.post("/patients/{patient_id}/diary/issue")
def issue_diary_link(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    today: Today,
    form: VerifiedForm,
    patient_id: IdPath,
):
    """Make a new diary link for the patient (the old one stops working)."""
    token, _ = diary.issue_link(db, actor=actor(request, user), patient_id=patient_id, today=today)
    return _page(request, db, patient_id, today, new_address=diary_address(request, token))


@router.post("/patients/{patient_id}/diary/revoke")
def revoke_diary_link(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    today: Today,
    form: VerifiedForm,
    patient_id: IdPath,
):
    """Revoke the patient's diary link: it writes nothing from now on."""
    diary.revoke_link(db, actor=actor(request, user), patient_id=patient_id, today=today)
    return _page(request, db, patient_id, today, notice="The diary link was revoked.")
