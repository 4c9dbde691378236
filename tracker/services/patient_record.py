"""Everything shown on a patient's page, read in a handful of queries.

A patient with ten years of care has some 700 scores and 180 courses. The page reads them
once each, as plain rows (an ORM object per score cost more than all the rest), and the
evaluation is built from the same rows instead of being read again.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from tracker.rules import (
    CourseFact,
    Evaluation,
    PatientFacts,
    RegimenFact,
    ScoreFact,
    evaluate,
    latest_weight,
)
from tracker.services import patients as patient_service
from tracker.services import regimens as regimen_service
from tracker.services.policy import load_policy
from tracker.store.models import (
    Assessment,
    Chair,
    Infusion,
    InfusionLot,
    Patient,
    Product,
    RecommendationDecision,
    Regimen,
    Review,
    Weight,
)

# The course fields the page and the API show (as infusion_service.infusion_views).
COURSE_FIELDS = ("id", "patient_id", "regimen_id", "scheduled_on", "start_time", "days",
                 "chair_minutes", "status", "dose_g", "reactions", "premedication", "notes",
                 "cancel_reason")
LOT_FIELDS = ("lot_number", "vials", "size_g", "expires_on")


@dataclass
class PatientRecord:
    """A patient with their whole history and today's evaluation.

    Scores, reviews and weights are read-only rows with the tables' column names as
    attributes (what the page and the timeline read), oldest first.
    """

    patient: Patient
    evaluation: Evaluation
    regimens: list[dict]
    current_regimen: dict | None
    courses: list[dict]
    scores: list[Any]
    reviews: list[Any]
    weights: list[Any]
    products: dict[str, str]


def patient_record(session: Session, *, patient_id: int, today: date) -> PatientRecord:
    """A patient's record for their page."""
    patient = patient_service.get_patient(session, patient_id)
    scores = _rows(session, Assessment, patient_id, Assessment.taken_on, Assessment.id)
    reviews = _rows(session, Review, patient_id, Review.reviewed_on, Review.id)
    weights = _rows(session, Weight, patient_id, Weight.measured_on, Weight.id)
    regimen_rows = list(session.exec(
        select(Regimen).where(Regimen.patient_id == patient_id)
        .order_by(Regimen.starts_on, Regimen.id)).all())
    courses = course_views(session, patient_id)
    facts = _facts(session, patient, regimen_rows, courses, scores, reviews, weights, today)
    evaluation = evaluate(facts, on=today, policy=load_policy(session))
    regimens = regimen_service.regimen_views(session, regimen_rows)
    return PatientRecord(
        patient=patient,
        evaluation=evaluation,
        regimens=regimens,
        current_regimen=next((r for r in regimens if r["id"] == evaluation.regimen_id), None),
        courses=courses,
        scores=scores,
        reviews=reviews,
        weights=weights,
        products={p.code: p.name for p in session.exec(select(Product))},
    )


def course_views(session: Session, patient_id: int) -> list[dict]:
    """A patient's courses as infusion_service.infusion_views shows them, oldest first."""
    table = Infusion.__table__
    rows = session.execute(
        select(table).where(table.c.patient_id == patient_id)
        .order_by(table.c.scheduled_on, table.c.id)).mappings().all()
    lots: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if lots:
        lot_table = InfusionLot.__table__
        for lot in session.execute(
            select(lot_table).where(lot_table.c.infusion_id.in_(list(lots)))
            .order_by(lot_table.c.id)).mappings():
            lots[lot["infusion_id"]].append({k: lot[k] for k in LOT_FIELDS})
    chairs = dict(session.execute(select(Chair.id, Chair.code)).all())
    products = dict(session.execute(select(Product.id, Product.code)).all())
    return [{**{k: row[k] for k in COURSE_FIELDS}, "chair": chairs.get(row["chair_id"]),
             "product_code": products.get(row["product_id"]), "lots": lots[row["id"]]}
            for row in rows]


def _rows(session: Session, model, patient_id: int, *order) -> list:
    table = model.__table__
    return list(session.execute(
        select(table).where(table.c.patient_id == patient_id).order_by(*order)).all())


def _facts(session, patient, regimens, courses, scores, reviews, weights, today: date
           ) -> PatientFacts:
    # The same facts as evaluation.load_facts, from the rows the page reads anyway.
    dismissed = session.execute(
        select(RecommendationDecision.regimen_id, RecommendationDecision.action).where(
            RecommendationDecision.patient_id == patient.id,
            RecommendationDecision.decision == "dismissed")).all()
    return PatientFacts(
        status=patient.status,
        regimens=tuple(RegimenFact(r.id, r.starts_on, r.dose_g_per_kg, r.interval_days)
                       for r in regimens),
        courses=tuple(CourseFact(c["id"], c["scheduled_on"], c["status"]) for c in courses
                      if c["status"] in ("booked", "given")),
        scores=tuple(ScoreFact(s.taken_on, s.measure, s.side, s.value, s.timing)
                     for s in scores),
        review_dates=tuple(r.reviewed_on for r in reviews),
        latest_weight_on=_latest_weight_on(weights, today),
        min_interval_days=patient.min_interval_days,
        max_interval_days=patient.max_interval_days,
        dismissed=frozenset((rid, action) for rid, action in dismissed),
    )


def _latest_weight_on(weights: list[Any], today: date) -> date | None:
    # A weight dated after the day evaluated does not count for it.
    found = latest_weight(weights, today, measured_on=lambda w: w.measured_on)
    return None if found is None else found.measured_on
