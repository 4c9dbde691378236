"""Funding authorisations: recording and correcting one, a patient's with their figures, and
the funding check of a course booked, given or moved (clinical rules 8).

The figures and every decision come from `tracker.rules.authorizations`; this module reads
the rows, asks the rules, writes and audits. For the pages and exports built on it:

- `authorization_views(session, patient_id=, on=)`: each authorisation with used, booked,
  remaining and the projected exhaustion day on `on` (the API's GET answer);
- `funding_check(facts, ...)`: what the rules say about one course among the patient's
  packed facts (`evaluation.read_packed`), without refusing (None, or the refusal with its
  message);
- `funding_preview(session, ...)`: what booking a course would leave on the authorisation
  it would be charged to (the booking page shows it before saving);
- `require_funding(facts, ...)`: the same, raising Conflict (409, field `override_reason`)
  unless the course carries an override reason. A write of a course checks the facts as
  it leaves them, read once for this check and for the patient's new state.
"""

from datetime import date
from typing import Any

from sqlmodel import Session

from tracker.rules import PackedFacts, SitePolicy, current_regimen
from tracker.rules.authorizations import (
    NEW_COURSE_ID,
    AuthorizationStanding,
    FundedCourse,
    FundingRefusal,
    check_course_funding,
    course_grams,
    funded_days,
    preview_course,
)
from tracker.rules.facts import CourseFact
from tracker.rules.plausibility import ImplausibleEntry, check_authorization_period
from tracker.rules.vocabulary import CourseStatus
from tracker.schemas.authorizations import AuthorizationCreate, AuthorizationUpdate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.services.evaluation import evaluate_patient, read_packed, refresh_state
from tracker.services.patients import get_patient
from tracker.services.policy import load_policy
from tracker.store.models import FundingAuthorization, Patient
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
    facts: PackedFacts, *, day: date, status: str, dose_g: float | None, course_id: int | None
) -> tuple[list[FundedCourse], FundedCourse]:
    """The patient's charged courses and the course asked about, from their packed facts."""
    courses = funded_days(
        facts.given_days,
        facts.given_ids,
        facts.bookings,
        regimens=facts.regimens,
        doses=facts.course_doses,
        on=day,
    )
    cid = NEW_COURSE_ID if course_id is None else course_id
    grams = course_grams(
        CourseFact(cid, day, status), facts.regimens, {} if dose_g is None else {cid: dose_g}
    )
    return courses, FundedCourse(cid, day, grams, status == CourseStatus.GIVEN)


def funding_preview(
    session: Session, *, patient_id: int, day: date, dose_g: float | None = None
) -> tuple[FundedCourse, AuthorizationStanding | None]:
    """What booking a course on `day` (at `dose_g`, else the regimen's dose) would leave: the
    course as charged and the standing of the authorisation it would be charged to after
    it, with the projection from it onwards (None: no authorisation covers the day)."""
    facts = read_packed(session, patient_id=patient_id, today=day, policy=load_policy(session))
    courses, course = _funding_inputs(
        facts, day=day, status=CourseStatus.BOOKED, dose_g=dose_g, course_id=None
    )
    regimen = current_regimen(facts.regimens, day)
    standing = preview_course(
        authorizations=facts.authorizations,
        courses=courses,
        course=course,
        interval_days=regimen.interval_days if regimen is not None else None,
        projected_dose_g=regimen.dose_g if regimen is not None else None,
    )
    return course, standing


def funding_check(
    facts: PackedFacts,
    *,
    day: date,
    status: str,
    dose_g: float | None,
    course_id: int | None = None,
) -> FundingRefusal | None:
    """Whether a course may be booked or given on `day` within the patient's
    authorisations (their packed facts, `read_packed`), whatever the policy says: None, or
    why not.

    `dose_g` is the course's own dose (given, or planned for a booking; None: the regimen's
    dose_g on `day`); `course_id` a stored course being given or moved, which is then
    checked at its new day and dose wherever the facts hold it.
    """
    courses, course = _funding_inputs(
        facts, day=day, status=status, dose_g=dose_g, course_id=course_id
    )
    return check_course_funding(authorizations=facts.authorizations, courses=courses, course=course)


def require_funding(
    facts: PackedFacts,
    *,
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

    The facts are the patient's as the write leaves them, read after it under the patient's
    row lock (`patients.lock_patient`, taken by the write first), so two bookings of one
    patient are checked one after the other and cannot together overspend an
    authorisation; a refusal rolls the write back.
    """
    if not policy.authorizations_required:
        return None
    refusal = funding_check(facts, day=day, status=status, dose_g=dose_g, course_id=course_id)
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
