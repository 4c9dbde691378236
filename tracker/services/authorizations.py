"""Funding authorisations: recording and correcting one, a patient's with their figures, and
the funding check of a course booked, given or moved (clinical rules 8).

The figures and every decision come from `tracker.rules.authorizations`; this module reads
the rows, asks the rules, writes and audits. For the pages and exports built on it:

- `authorization_views(session, patient_id=, on=)`: each authorisation with used, booked,
  remaining and the projected exhaustion day on `on` (the API's GET answer);
- `funding_check(session, ...)`: what the rules say about one course, without refusing
  (None, or the refusal with its message), e.g. for a preview of what a booking would leave;
- `funding_preview(session, ...)`: what booking a course would leave on the authorisation
  it would be charged to (the booking page shows it before saving);
- `require_funding(session, ...)`: the same, raising Conflict (409, field `override_reason`)
  unless the course carries an override reason; it locks the patient first.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, select

from tracker.rules import RegimenFact, SitePolicy, current_regimen
from tracker.rules.authorizations import (
    NEW_COURSE_ID,
    AuthorizationStanding,
    FundedCourse,
    FundingRefusal,
    check_course_funding,
    course_grams,
    funded_courses,
    preview_course,
)
from tracker.rules.facts import CourseFact
from tracker.rules.plausibility import ImplausibleEntry, check_authorization_period
from tracker.rules.vocabulary import CourseStatus
from tracker.schemas.authorizations import AuthorizationCreate, AuthorizationUpdate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.services.evaluation import (
    COUNTED_STATUSES,
    authorization_fact,
    authorizations_of,
    course_dose,
    evaluate_patient,
    refresh_state,
)
from tracker.services.patients import get_patient
from tracker.store.ids import stored_id
from tracker.store.models import FundingAuthorization, Infusion, Patient, Regimen
from tracker.store.types import utcnow

# What recording or correcting an authorisation may set.
FIELDS = ("payer", "reference", "starts_on", "ends_on", "approved_g", "approved_courses")


def create_authorization(
    session: Session, *, actor: Actor, patient_id: int, data: AuthorizationCreate, today: date
) -> FundingAuthorization:
    """Record a funding authorisation (422 naming the field for an impossible period)."""
    patient = get_patient(session, patient_id)
    _check_period(data.starts_on, data.ends_on, patient)
    row = FundingAuthorization(patient_id=patient_id, recorded_by_id=actor.id, **data.model_dump())
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="authorization.create",
        entity="funding_authorization",
        entity_id=row.id,
        patient_id=patient_id,
        changes=data.model_dump(),
    )
    refresh_state(session, patient_id=patient_id, today=today)
    return row


def update_authorization(
    session: Session,
    *,
    actor: Actor,
    authorization_id: int,
    data: AuthorizationUpdate,
    today: date,
    patient_id: int | None = None,
) -> FundingAuthorization:
    """Correct an authorisation (its period, limits, payer or reference); audited as
    [old, new] pairs of the fields that changed. With `patient_id` (a page under the
    patient's address), another patient's authorisation is not found."""
    # Locked: two corrections at once must not both read the old values into their entries.
    row = session.get(FundingAuthorization, authorization_id, with_for_update=True)
    if row is None or (patient_id is not None and row.patient_id != patient_id):
        raise NotFound(f"no authorization with id {authorization_id}")
    changes = data.changes()
    _check_period(
        changes.get("starts_on", row.starts_on),
        changes.get("ends_on", row.ends_on),
        get_patient(session, row.patient_id),
    )
    before = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="authorization.update",
        entity="funding_authorization",
        entity_id=row.id,
        patient_id=row.patient_id,
        changes=audit.diff(before, changes),
    )
    refresh_state(session, patient_id=row.patient_id, today=today)
    return row


def get_authorization(session: Session, authorization_id: int) -> FundingAuthorization:
    """The authorisation with this id, or NotFound."""
    row = session.get(FundingAuthorization, authorization_id)
    if row is None:
        raise NotFound(f"no authorization with id {authorization_id}")
    return row


def authorization_views(session: Session, *, patient_id: int, on: date) -> list[dict[str, Any]]:
    """A patient's authorisations with their figures on day `on`, by start day (the rules'
    evaluation of that day: used, booked, remaining, projected exhaustion)."""
    evaluation = evaluate_patient(session, patient_id=patient_id, on=on)
    return [{**s.to_dict(), "patient_id": patient_id} for s in evaluation.authorizations]


def authorization_view(session: Session, row: FundingAuthorization, *, on: date) -> dict[str, Any]:
    """One authorisation with its figures on day `on`."""
    views = authorization_views(session, patient_id=row.patient_id, on=on)
    return next(v for v in views if v["id"] == row.id)


def _funding_inputs(
    session: Session,
    *,
    patient_id: int,
    day: date,
    status: str,
    dose_g: float | None,
    course_id: int | None,
) -> tuple[list[FundedCourse], FundedCourse, list[RegimenFact], list[Any]]:
    """The patient's charged courses, the course asked about, the regimens and the
    authorisations, for the checks below."""
    rows: Sequence[Any] = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel's select() is typed for 4 columns
            Infusion.id,
            Infusion.scheduled_on,
            Infusion.status,
            Infusion.dose_g,
            Infusion.planned_dose_g,
        ).where(Infusion.patient_id == patient_id, Infusion.status.in_(COUNTED_STATUSES))
    ).all()
    regimens = [
        RegimenFact(stored_id(r), r.starts_on, r.dose_g_per_kg, r.interval_days, r.dose_g)
        for r in session.exec(select(Regimen).where(Regimen.patient_id == patient_id))
    ]
    doses = {row.id: dose for row in rows if (dose := course_dose(row)) is not None}
    courses = funded_courses(
        [CourseFact(r.id, r.scheduled_on, r.status) for r in rows],
        regimens=regimens,
        doses=doses,
        on=day,
    )
    cid = NEW_COURSE_ID if course_id is None else course_id
    grams = course_grams(
        CourseFact(cid, day, status), regimens, {} if dose_g is None else {cid: dose_g}
    )
    authorizations = [
        authorization_fact(a) for a in authorizations_of(session, [patient_id])[patient_id]
    ]
    course = FundedCourse(cid, day, grams, status == CourseStatus.GIVEN)
    return courses, course, regimens, authorizations


def funding_preview(
    session: Session, *, patient_id: int, day: date, dose_g: float | None = None
) -> tuple[FundedCourse, AuthorizationStanding | None]:
    """What booking a course on `day` (at `dose_g`, else the regimen's dose) would leave: the
    course as charged and the standing of the authorisation it would be charged to after
    it, with the projection from it onwards (None: no authorisation covers the day)."""
    courses, course, regimens, authorizations = _funding_inputs(
        session,
        patient_id=patient_id,
        day=day,
        status=CourseStatus.BOOKED,
        dose_g=dose_g,
        course_id=None,
    )
    regimen = current_regimen(regimens, day)
    standing = preview_course(
        authorizations=authorizations,
        courses=courses,
        course=course,
        interval_days=regimen.interval_days if regimen is not None else None,
        projected_dose_g=regimen.dose_g if regimen is not None else None,
    )
    return course, standing


def funding_check(
    session: Session,
    *,
    patient_id: int,
    day: date,
    status: str,
    dose_g: float | None,
    course_id: int | None = None,
) -> FundingRefusal | None:
    """Whether a course may be booked or given on `day` within the patient's
    authorisations, whatever the policy says: None, or why not.

    `dose_g` is the course's own dose (given, or planned for a booking; None: the regimen's
    dose_g on `day`); `course_id` a stored course being given or moved, which is then
    checked at its new day and dose instead of where it stands.
    """
    courses, course, _regimens, authorizations = _funding_inputs(
        session,
        patient_id=patient_id,
        day=day,
        status=status,
        dose_g=dose_g,
        course_id=course_id,
    )
    return check_course_funding(authorizations=authorizations, courses=courses, course=course)


def require_funding(
    session: Session,
    *,
    patient_id: int,
    day: date,
    status: str,
    dose_g: float | None,
    override_reason: str | None,
    policy: SitePolicy,
    course_id: int | None = None,
) -> FundingRefusal | None:
    """When the site requires authorisations: refuse (Conflict, 409, naming the reference and
    the shortfall, or the day none covers) a course outside or beyond them, unless it
    carries an override reason. Returns the refusal that was overridden, if any.

    The patient's row is locked first (PostgreSQL: SELECT ... FOR UPDATE; SQLite writes
    one at a time already), so two bookings of one patient are checked one after the other
    and cannot together overspend an authorisation.
    """
    if not policy.authorizations_required:
        return None
    session.exec(select(Patient.id).where(Patient.id == patient_id).with_for_update()).one()
    refusal = funding_check(
        session,
        patient_id=patient_id,
        day=day,
        status=status,
        dose_g=dose_g,
        course_id=course_id,
    )
    if refusal is None:
        return None
    if not override_reason:
        raise Conflict(refusal.message, field="override_reason")
    return refusal


def _check_period(starts_on: date, ends_on: date, patient: Patient) -> None:
    try:
        check_authorization_period(starts_on=starts_on, ends_on=ends_on, born_on=patient.birth_date)
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
