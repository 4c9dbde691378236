"""Reads for the FHIR and CSV exports: every patient a batch at a time, and their history.

The exports (`tracker.interop.fhir.export`, `tracker.interop.csv.export`) turn these rows into
files; they stream whole caseloads, so each batch is a handful of queries, not one a patient.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.store.models import (
    Assessment,
    FundingAuthorization,
    Infusion,
    InfusionLot,
    Patient,
    Regimen,
    StaffUser,
    Weight,
)

# Plain columns, not ORM objects: building hundreds of thousands of model instances would be
# most of the CSV export's time.
REGIMEN_COLUMNS = (
    "patient_id",
    "starts_on",
    "dose_g_per_kg",
    "interval_days",
    "days_per_course",
    "product_id",
    "weight_basis",
    "reason",
    "override_reason",
    "route",
)
LOT_COLUMNS = ("infusion_id", "lot_number", "vials", "size_g", "expires_on")
COURSE_COLUMNS = (
    "id",
    "patient_id",
    "scheduled_on",
    "status",
    "start_time",
    "chair_id",
    "site",
    "nurse_id",
    "days",
    "chair_minutes",
    "dose_g",
    "product_id",
    "reactions",
    "premedication",
    "notes",
    "cancel_reason",
)
SCORE_COLUMNS = (
    "patient_id",
    "taken_on",
    "measure",
    "side",
    "value",
    "timing",
    "infusion_id",
    "source",
)


def staff_usernames(session: Session) -> dict[int, str]:
    """Every staff account's username by id, former staff too (the nurses of old visits)."""
    return {uid: name for uid, name in session.exec(select(StaffUser.id, StaffUser.username))}


def patient_count(session: Session) -> int:
    """How many patients there are (the exports' progress total)."""
    return session.exec(select(func.count()).select_from(Patient)).one()


def patient_batches(session: Session, batch_size: int) -> Iterator[Sequence[Patient]]:
    """Patients in batches of `batch_size`, by id (keyset paging: each batch is one query).

    The session forgets each batch (and whatever was read with it) once the caller has
    used it, so memory stays flat however many patients there are.
    """
    last_id = 0
    while True:
        patients = session.exec(
            select(Patient)
            .where(col(Patient.id) > last_id)
            .order_by(col(Patient.id))
            .limit(batch_size)
        ).all()
        if not patients:
            return
        last_id = patients[-1].id or 0  # stored rows have their id
        yield patients
        session.expunge_all()


@dataclass(frozen=True)
class CaseloadRows:
    """A batch of patients' rows as the CSV export writes them: plain columns, in file order."""

    weights: Sequence[Any]  # patient_id, measured_on, weight_kg
    regimens: Sequence[Any]  # REGIMEN_COLUMNS
    lots: Sequence[Any]  # LOT_COLUMNS
    courses: Sequence[Any]  # COURSE_COLUMNS
    scores: Sequence[Any]  # SCORE_COLUMNS
    authorizations: Sequence[Any] = ()  # FundingAuthorization rows


def caseload_rows(session: Session, patient_ids: list[int]) -> CaseloadRows:
    """The weights, regimens, lots, courses and scores of these patients, for the CSV files."""
    ids = patient_ids
    weights = (
        select(col(Weight.patient_id), col(Weight.measured_on), col(Weight.weight_kg))
        .where(col(Weight.patient_id).in_(ids))
        .order_by(col(Weight.patient_id), col(Weight.measured_on), col(Weight.id))
    )
    regimens = (
        _columns(Regimen, REGIMEN_COLUMNS)
        .where(col(Regimen.patient_id).in_(ids))
        .order_by(col(Regimen.patient_id), col(Regimen.starts_on), col(Regimen.id))
    )
    lots = (
        _columns(InfusionLot, LOT_COLUMNS)
        .join(Infusion)
        .where(col(Infusion.patient_id).in_(ids))
        .order_by(col(InfusionLot.id))
    )
    courses = (
        _columns(Infusion, COURSE_COLUMNS)
        .where(col(Infusion.patient_id).in_(ids))
        .order_by(col(Infusion.patient_id), col(Infusion.scheduled_on), col(Infusion.id))
    )
    scores = (
        _columns(Assessment, SCORE_COLUMNS)
        .where(col(Assessment.patient_id).in_(ids))
        .order_by(col(Assessment.patient_id), col(Assessment.taken_on), col(Assessment.id))
    )
    authorizations = (
        select(FundingAuthorization)
        .where(col(FundingAuthorization.patient_id).in_(ids))
        .order_by(
            col(FundingAuthorization.patient_id),
            col(FundingAuthorization.starts_on),
            col(FundingAuthorization.id),
        )
    )
    return CaseloadRows(
        authorizations=session.exec(authorizations).all(),
        weights=session.exec(weights).all(),
        regimens=session.exec(regimens).all(),
        lots=session.exec(lots).all(),
        courses=session.exec(courses).all(),
        scores=session.exec(scores).all(),
    )


@dataclass
class TreatmentHistory:
    """One patient's regimens, courses, scores and funding authorisations, oldest first."""

    regimens: list[Regimen] = field(default_factory=list)
    infusions: list[Infusion] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    authorizations: list[FundingAuthorization] = field(default_factory=list)


def treatment_histories(
    session: Session, patient_ids: list[int]
) -> tuple[dict[int, TreatmentHistory], dict[int, list[InfusionLot]]]:
    """These patients' histories by patient id (empty for one with none), and every lot of
    their courses by course id, for the FHIR resources."""
    ids = patient_ids
    histories: dict[int, TreatmentHistory] = defaultdict(TreatmentHistory)
    for r in session.exec(
        select(Regimen)
        .where(col(Regimen.patient_id).in_(ids))
        .order_by(col(Regimen.starts_on), col(Regimen.id))
    ):
        histories[r.patient_id].regimens.append(r)
    for i in session.exec(
        select(Infusion)
        .where(col(Infusion.patient_id).in_(ids))
        .order_by(col(Infusion.scheduled_on), col(Infusion.id))
    ):
        histories[i.patient_id].infusions.append(i)
    for a in session.exec(
        select(Assessment)
        .where(col(Assessment.patient_id).in_(ids))
        .order_by(col(Assessment.taken_on), col(Assessment.id))
    ):
        histories[a.patient_id].assessments.append(a)
    for f in session.exec(
        select(FundingAuthorization)
        .where(col(FundingAuthorization.patient_id).in_(ids))
        .order_by(col(FundingAuthorization.starts_on), col(FundingAuthorization.id))
    ):
        histories[f.patient_id].authorizations.append(f)
    lots: dict[int, list[InfusionLot]] = defaultdict(list)
    for lot in session.exec(
        select(InfusionLot)
        .join(Infusion, col(Infusion.id) == col(InfusionLot.infusion_id))
        .where(col(Infusion.patient_id).in_(ids))
        .order_by(col(InfusionLot.id))
    ):
        lots[lot.infusion_id].append(lot)
    return histories, lots


def _columns(model: Any, names: tuple[str, ...]) -> Any:
    return select(*(col(getattr(model, name)) for name in names))
