"""A course the patient gave themselves at home (clinical rules 9, site `self`), recorded
by staff: the patient phoned it in, or brought the used vials' labels to clinic."""

from fastapi import Request
from fastapi.responses import RedirectResponse

from tracker.services import audit, self_courses
from tracker.services.errors import ServiceError
from tracker.services.patients import get_patient
from tracker.services.products import product_choices
from tracker.web.deps import DbSession, IdPath, PageNurse, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm, form_values, service_error
from tracker.web.routing import Router
from tracker.web.self_course_entry import self_course_entry
from tracker.web.templating import render

router = Router(include_in_schema=False)

FIELDS = ["given_on", "product_code", "lot_number", "vials", "expires_on", "reactions"]
# The field a refusal names (the course's, as the service has it) -> the box on this form.
BOX_OF = {
    "scheduled_on": "given_on",
    "lots": "lot_number",
    "lots.0.lot_number": "lot_number",
    "lots.0.vials": "vials",
    "lots.0.expires_on": "expires_on",
    "product_code": "product_code",
    "reactions": "reactions",
}


def _page(request, db, today, patient_id, *, values=None, errors=None, status=200):
    plan = self_courses.sc_plan(db, patient_id=patient_id, today=today)
    if values is None:
        values = {
            "given_on": today.isoformat(),
            "product_code": plan.product_code if plan else "",
            "vials": str(plan.vials) if plan and plan.vials else "",
        }
    return render(
        request,
        "self_course.html",
        {
            "patient": get_patient(db, patient_id),
            "plan": plan,
            "products": product_choices(db),
            "values": values,
            "errors": errors or {},
            "today": today,
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/self-course")
@writes_on_get
def self_course_form(
    request: Request, db: DbSession, user: PageNurse, today: Today, patient_id: IdPath
):
    """The form for a course the patient infused at home (SC regimens only)."""
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="self-infused course form"
    )
    return _page(request, db, today, patient_id)


@router.post("/patients/{patient_id}/self-course")
def self_course_submit(
    request: Request,
    db: DbSession,
    user: PageNurse,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record the course as given at home by the patient (site self), with its lot and
    reactions, through the same service as the patient's diary."""
    values = form_values(form, FIELDS)
    try:
        course = self_course_entry(values, today=today)
        self_courses.record_self_course(
            db, actor=actor(request, user), patient_id=patient_id, course=course, today=today
        )
    except ServiceError as exc:
        db.rollback()
        return _page(
            request,
            db,
            today,
            patient_id,
            values=values,
            errors={BOX_OF.get(k, "__all__"): m for k, m in service_error(exc).items()},
            status=exc.status_code,
        )
    return RedirectResponse(f"/patients/{patient_id}#courses", status_code=303)
