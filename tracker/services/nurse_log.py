"""The nurse's log: a course given, its lots and reactions, and its scores, in one unit."""

from datetime import date
from typing import Any

from sqlmodel import Session, select

from tracker.formats.gs1 import ScanError, read_vial_scan
from tracker.rules import DosingError, vial_plan
from tracker.rules.vocabulary import CourseStatus
from tracker.schemas.scores import AssessmentCreate
from tracker.schemas.treatment import InfusionAdminister
from tracker.services.actors import Actor
from tracker.services.assessments import record_assessment
from tracker.services.errors import Invalid, ServiceError
from tracker.services.evaluation import refresh_state
from tracker.services.infusions import administer_infusion, get_infusion
from tracker.services.products import product_by_gtin
from tracker.store.models import Chair, Infusion, Patient, Product, Regimen


def day_list(session: Session, *, day: date) -> list[dict[str, Any]]:
    """The courses booked or given on a day, by time, with patient and chair."""
    rows = session.exec(
        select(Infusion, Patient, Chair.code)
        .join(Patient, Patient.id == Infusion.patient_id)
        .join(Chair, Chair.id == Infusion.chair_id, isouter=True)
        .where(
            Infusion.scheduled_on == day,
            Infusion.status.in_((CourseStatus.BOOKED, CourseStatus.GIVEN)),
        )
        .order_by(Infusion.start_time, Chair.code, Infusion.id)
    ).all()
    return [{"infusion": i, "patient": p, "chair": code} for i, p, code in rows]


def prefill(session: Session, *, infusion: Infusion) -> dict[str, Any]:
    """What the log form starts with: the regimen's dose, product and its vial plan."""
    regimen = session.get(Regimen, infusion.regimen_id) if infusion.regimen_id else None
    product_id = infusion.product_id or (regimen.product_id if regimen else None)
    product = session.get(Product, product_id) if product_id else None
    dose_g = infusion.dose_g or (regimen.dose_g if regimen else None)
    lots = []
    if product and dose_g:
        try:
            plan = vial_plan(dose_g, product.vial_sizes)
            lots = [{"vials": v.count, "size_g": v.size_g} for v in plan.vials]
        except DosingError:
            lots = []
    return {"dose_g": dose_g, "product_code": product.code if product else "", "lots": lots}


def log_course(
    session: Session,
    *,
    actor: Actor,
    infusion_id: int,
    given: InfusionAdminister,
    scores: list[tuple[str, AssessmentCreate]],
    today: date,
) -> Infusion:
    """Record the course as given and its scores; any error leaves nothing saved.

    `scores` pairs each score with the form field it came from, so an error can name it.
    """
    infusion = get_infusion(session, infusion_id)
    administer_infusion(session, actor=actor, infusion_id=infusion_id, data=given, today=today)
    for field, score in scores:
        try:
            record_assessment(
                session,
                actor=actor,
                patient_id=infusion.patient_id,
                data=score.model_copy(update={"infusion_id": infusion_id}),
                today=today,
                refresh=False,
            )
        except ServiceError as exc:
            raise Invalid(exc.message, field=field) from exc
    refresh_state(session, patient_id=infusion.patient_id, today=today)
    return infusion


def read_scan(session: Session, *, text: str) -> dict[str, Any]:
    """A vial's scanned GS1 code as the log form's fields: product, lot and expiry.

    Invalid naming `scan` when the code cannot be read or no product has its GTIN.
    """
    try:
        scan = read_vial_scan(text)
    except ScanError as exc:
        raise Invalid(f"The scan could not be read: {exc.message}.", field="scan") from exc
    product = product_by_gtin(session, scan.gtin)
    if product is None:
        raise Invalid(
            f"No product has the GTIN {scan.gtin}: choose the product by hand, and "
            "ask an admin to set this GTIN on it.",
            field="scan",
        )
    return {
        "product_code": product.code,
        "lot_number": scan.lot_number or "",
        "expires_on": scan.expires_on.isoformat() if scan.expires_on else "",
    }
