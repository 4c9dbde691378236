"""Courses the patient infuses at home (clinical rules 9, site `self`).

A self-infused SC course is recorded like any course given: through `book_infusion`, so the
same plausibility rules hold (its day within the patient's life and not after today, one
course a day, a lot that had not expired on the day). The patient records it through the
diary link and staff through the patient's page; the audit trail names who did.
"""

from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError
from sqlmodel import Session, col, select

from tracker.formats.display import date_text
from tracker.rules import DosingError, current_regimen, vial_plan
from tracker.rules.facts import RegimenFact
from tracker.rules.vocabulary import CareSite, CourseStatus, Route
from tracker.schemas.treatment import InfusionCreate
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid
from tracker.services.infusions import book_infusion
from tracker.services.patients import get_patient
from tracker.store.ids import stored_id
from tracker.store.models import AuditEvent, Infusion, Product, Regimen

# The audit trail's actor name for a patient writing through a diary link starts so
# (services.diary.link_actor): how staff pages tell a course the patient entered.
PATIENT_ACTOR_PREFIX = "patient (diary link"


@dataclass(frozen=True)
class SelfCourse:
    """A course the patient gave themselves: the day, the lot, and how it went."""

    given_on: date
    lot_number: str
    vials: int | None
    expires_on: date | None = None
    # None: the product of the SC regimen.
    product_code: str | None = None
    reactions: str = ""


@dataclass(frozen=True)
class SelfCoursePlan:
    """What a self-infused course of the current SC regimen is: its grams and product, and
    the vials the dose takes of that product (None when the plan cannot say)."""

    regimen_id: int
    starts_on: date
    dose_g: float | None
    product_code: str | None
    product_name: str | None
    vials: int | None


def sc_plan(session: Session, *, patient_id: int, today: date) -> SelfCoursePlan | None:
    """The current regimen's self-infused course when that regimen is SC, else None."""
    rows = session.exec(select(Regimen).where(Regimen.patient_id == patient_id)).all()
    fact = current_regimen(
        [
            RegimenFact(stored_id(r), r.starts_on, r.dose_g_per_kg, r.interval_days, route=r.route)
            for r in rows
        ],
        today,
    )
    if fact is None or fact.route != Route.SC:
        return None
    regimen = next(r for r in rows if r.id == fact.id)
    product = session.get(Product, regimen.product_id) if regimen.product_id else None
    vials = None
    if product is not None and regimen.dose_g:
        try:
            vials = sum(v.count for v in vial_plan(regimen.dose_g, product.vial_sizes).vials)
        except DosingError:
            vials = None
    return SelfCoursePlan(
        regimen_id=fact.id,
        starts_on=regimen.starts_on,
        dose_g=regimen.dose_g,
        product_code=product.code if product else None,
        product_name=product.name if product else None,
        vials=vials,
    )


def record_self_course(
    session: Session, *, actor: Actor, patient_id: int, course: SelfCourse, today: date
) -> Infusion:
    """Record a course the patient infused at home (site `self`) at the SC regimen's dose;
    Conflict unless the current regimen is SC, Invalid naming the field for bad input."""
    get_patient(session, patient_id)
    plan = sc_plan(session, patient_id=patient_id, today=today)
    if plan is None:
        raise Conflict(
            "only a patient whose current regimen is subcutaneous (SC) infuses at home; "
            "this one's is not",
            field="route",
        )
    if course.given_on < plan.starts_on:
        # Before the SC regimen the patient was not infusing at home: the course would be
        # charged to the IV regimen at the SC dose.
        raise Invalid(
            f"that is before the home (SC) treatment started on {date_text(plan.starts_on)}",
            field="scheduled_on",
        )
    if not plan.dose_g:
        raise Invalid("the SC regimen has no dose in grams (no weight)", field="dose_g")
    if not course.lot_number.strip():
        raise Invalid("write the lot number from the vial or syringe", field="lots.0.lot_number")
    if course.vials is None or not 1 <= course.vials <= 200:
        raise Invalid("write how many vials or syringes were used (1 to 200)", field="lots.0.vials")
    lot: dict[str, object] = {"lot_number": course.lot_number, "vials": course.vials}
    if course.expires_on is not None:
        lot["expires_on"] = course.expires_on
    try:
        data = InfusionCreate.model_validate(
            {
                "scheduled_on": course.given_on,
                "site": CareSite.SELF,
                "status": CourseStatus.GIVEN,
                "dose_g": plan.dose_g,
                "product_code": course.product_code or plan.product_code,
                "lots": [lot],
                "reactions": course.reactions.strip() or None,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error.get("loc", ())) or "lots"
        raise Invalid(
            error.get("msg", "invalid").removeprefix("Value error, "), field=field
        ) from exc
    return book_infusion(session, actor=actor, patient_id=patient_id, data=data, today=today)


def entered_by_patient(session: Session, *, patient_id: int) -> set[int]:
    """The ids of the patient's courses that the patient entered through a diary link."""
    rows = session.exec(
        select(AuditEvent.entity_id).where(
            AuditEvent.patient_id == patient_id,
            AuditEvent.entity == "infusion",
            AuditEvent.action == "infusion.create",
            col(AuditEvent.actor_id).is_(None),
            col(AuditEvent.actor_name).startswith(PATIENT_ACTOR_PREFIX),
        )
    ).all()
    return {int(i) for i in rows if i is not None and i.isdigit()}
