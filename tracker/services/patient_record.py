"""Everything shown on a patient's page, read in a handful of queries.

A patient with ten years of care has some 700 scores and 180 courses. The page reads them
once each, as plain rows (an ORM object per score cost more than all the rest), and the
evaluation is built from the same rows instead of being read again.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, select

from tracker.rules import Evaluation, evaluate
from tracker.rules.vocabulary import CareSite
from tracker.services import other_treatments as other_treatment_service
from tracker.services import patients as patient_service
from tracker.services import regimens as regimen_service
from tracker.services.evaluation import authorizations_of, build_facts, dismissed_actions
from tracker.services.infusions import COURSE_FIELDS, LOT_FIELDS
from tracker.services.policy import load_policy
from tracker.services.self_courses import entered_by_patient
from tracker.store.models import (
    Assessment,
    Chair,
    Infusion,
    InfusionLot,
    Patient,
    Product,
    Regimen,
    Review,
    StaffUser,
    Weight,
)


@dataclass
class PatientRecord:
    """A patient with their whole history and today's evaluation.

    Scores, reviews and weights are read-only rows with the tables' column names as
    attributes (what the page and the timeline read), oldest first.
    """

    patient: Patient
    evaluation: Evaluation
    regimens: list[dict[str, Any]]
    current_regimen: dict[str, Any] | None
    courses: list[dict[str, Any]]
    scores: list[Any]
    reviews: list[Any]
    weights: list[Any]
    products: dict[str, str]
    other_treatments: list[dict[str, Any]] = field(default_factory=list)  # besides IVIG, by start
    # The current regimen's dose on the latest weight, when it is not the stored dose.
    dose_on_latest_weight: dict[str, Any] | None = None


def patient_record(session: Session, *, patient_id: int, today: date) -> PatientRecord:
    """A patient's record for their page."""
    patient = patient_service.get_patient(session, patient_id)
    scores = _rows(session, Assessment, patient_id, Assessment.taken_on, Assessment.id)
    reviews = _rows(session, Review, patient_id, Review.reviewed_on, Review.id)
    weights = _rows(session, Weight, patient_id, Weight.measured_on, Weight.id)
    regimen_rows = list(
        session.exec(
            select(Regimen)
            .where(Regimen.patient_id == patient_id)
            .order_by(Regimen.starts_on, Regimen.id)
        ).all()
    )
    courses = course_views(session, patient_id)
    facts = build_facts(
        patient,
        regimens=regimen_rows,
        courses=courses,
        scores=scores,
        review_dates=(r.reviewed_on for r in reviews),
        weight_dates=(w.measured_on for w in weights),
        dismissed=dismissed_actions(session, [patient_id])[patient_id],
        authorizations=authorizations_of(session, [patient_id])[patient_id],
    )
    policy = load_policy(session)
    evaluation = evaluate(facts, on=today, policy=policy)
    regimens = regimen_service.regimen_views(session, regimen_rows)
    current = next((r for r in regimens if r["id"] == evaluation.regimen_id), None)
    return PatientRecord(
        patient=patient,
        evaluation=evaluation,
        regimens=regimens,
        current_regimen=current,
        courses=courses,
        scores=scores,
        reviews=reviews,
        weights=weights,
        products={p.code: p.name for p in session.exec(select(Product))},
        other_treatments=other_treatment_service.other_treatments(session, patient_id=patient_id),
        dose_on_latest_weight=regimen_service.dose_on_latest_weight(
            session, patient=patient, regimen=current, today=today, policy=policy
        ),
    )


def course_views(
    session: Session, patient_id: int, *, ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """A patient's courses (or those of them with the given ids) as
    infusion_service.infusion_views shows them, oldest first."""
    table = Infusion.__table__
    query = select(table).where(table.c.patient_id == patient_id)  # type: ignore[call-overload]  # SQLModel's select() takes no Core table
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    rows = session.execute(query.order_by(table.c.scheduled_on, table.c.id)).mappings().all()
    lots: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    if lots:
        lot_table = InfusionLot.__table__
        for lot in session.execute(
            select(lot_table)  # type: ignore[call-overload]  # as above
            .where(lot_table.c.infusion_id.in_(list(lots)))
            .order_by(lot_table.c.id)
        ).mappings():
            lots[lot["infusion_id"]].append({k: lot[k] for k in LOT_FIELDS})
    chairs = dict(session.execute(select(Chair.id, Chair.code)).all())
    products = dict(session.execute(select(Product.id, Product.code)).all())
    nurse_ids = {row["nurse_id"] for row in rows if row["nurse_id"] is not None}
    nurses = (
        dict(
            session.execute(
                select(StaffUser.id, StaffUser.username).where(StaffUser.id.in_(nurse_ids))
            ).all()
        )
        if nurse_ids
        else {}
    )
    # Staff see who entered each value (clinical rules 10): a course the patient entered
    # through the diary link says so. Only self-infused courses can be, so the audit trail
    # (long for a patient viewed for years) is read only for a patient who has one.
    by_patient = (
        entered_by_patient(session, patient_id=patient_id)
        if any(row["site"] == CareSite.SELF for row in rows)
        else set()
    )
    return [
        {
            **{k: row[k] for k in COURSE_FIELDS},
            "entered_by_patient": row["id"] in by_patient,
            "chair": chairs.get(row["chair_id"]),
            "product_code": products.get(row["product_id"]),
            "nurse": nurses.get(row["nurse_id"]),
            "lots": lots[row["id"]],
        }
        for row in rows
    ]


def _rows(session: Session, model: Any, patient_id: int, *order: Any) -> list[Row[Any]]:
    table = model.__table__  # model: any table class with a patient_id column
    return list(
        session.execute(
            select(table).where(table.c.patient_id == patient_id).order_by(*order)
        ).all()
    )
