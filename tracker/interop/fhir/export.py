"""FHIR export: one patient's Bundle, and bulk NDJSON of every patient, streamed in batches."""

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.interop.batches import patient_batches
from tracker.interop.fhir import resources
from tracker.rules import RegimenFact, current_regimen
from tracker.rules.vocabulary import CourseStatus
from tracker.settings import Settings
from tracker.store.models import (
    Assessment,
    Chair,
    Infusion,
    InfusionLot,
    Patient,
    Product,
    Regimen,
)
from tracker.store.types import utcnow

RESOURCE_TYPES = ("Patient", "MedicationRequest", "MedicationAdministration", "Observation",
                  "Appointment")
BULK_BATCH = 200


@dataclass
class _Rows:
    regimens: list[Regimen] = field(default_factory=list)
    infusions: list[Infusion] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)


def fhir_context(session: Session, settings: Settings) -> resources.FhirContext:
    """The products, chairs, base URL and zone the resources are written with."""
    return resources.FhirContext(
        base_url=settings.base_url,
        zone=settings.zone,
        products={p.id: (p.code, p.name) for p in session.exec(select(Product))},
        chairs={c.id: c.name for c in session.exec(select(Chair))},
        clinic_opens=time.fromisoformat(settings.clinic_opens),
        clinic_closes=time.fromisoformat(settings.clinic_closes),
    )


def patient_bundle(
    session: Session, *, patient: Patient, today: date, settings: Settings
) -> dict:
    """One patient's record as a FHIR R4 collection Bundle."""
    ctx = fhir_context(session, settings)
    rows, lots = _load(session, [patient.id])
    by_type = _resources(patient, rows[patient.id], lots, today, ctx)
    stamp = utcnow()
    return resources.bundle([r for kind in RESOURCE_TYPES for r in by_type[kind]],
                       bundle_id=f"patient-{patient.id}-{stamp:%Y%m%d%H%M%S}", stamp=stamp,
                       ctx=ctx)


def write_bulk_ndjson(
    session: Session, *, out_dir: Path, today: date, settings: Settings,
    batch_size: int = BULK_BATCH, progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Every patient as NDJSON, one file per resource type; the count written of each.

    Patients are read in batches of `batch_size` by id and forgotten after each batch, so
    memory stays flat however many patients there are.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = fhir_context(session, settings)
    counts = dict.fromkeys(RESOURCE_TYPES, 0)
    total = session.exec(select(func.count()).select_from(Patient)).one()
    files = {kind: (out_dir / f"{kind}.ndjson").open("w", encoding="utf-8")
             for kind in RESOURCE_TYPES}
    try:
        done = 0
        for patients in patient_batches(session, batch_size):
            rows, lots = _load(session, [p.id for p in patients])
            for patient in patients:
                for kind, resources in _resources(patient, rows[patient.id], lots, today,
                                                  ctx).items():
                    for resource in resources:
                        files[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
                    counts[kind] += len(resources)
            done += len(patients)
            session.expunge_all()
            if progress is not None:
                progress(done, total)
    finally:
        for handle in files.values():
            handle.close()
    return counts


def _load(
    session: Session, ids: list[int]
) -> tuple[dict[int, _Rows], dict[int, list[InfusionLot]]]:
    rows: dict[int, _Rows] = defaultdict(_Rows)
    for r in session.exec(select(Regimen).where(Regimen.patient_id.in_(ids))
                          .order_by(Regimen.starts_on, Regimen.id)):
        rows[r.patient_id].regimens.append(r)
    for i in session.exec(select(Infusion).where(Infusion.patient_id.in_(ids))
                          .order_by(Infusion.scheduled_on, Infusion.id)):
        rows[i.patient_id].infusions.append(i)
    for a in session.exec(select(Assessment).where(Assessment.patient_id.in_(ids))
                          .order_by(Assessment.taken_on, Assessment.id)):
        rows[a.patient_id].assessments.append(a)
    lots: dict[int, list[InfusionLot]] = defaultdict(list)
    for lot in session.exec(
        select(InfusionLot).join(Infusion, Infusion.id == InfusionLot.infusion_id)
        .where(Infusion.patient_id.in_(ids)).order_by(InfusionLot.id)
    ):
        lots[lot.infusion_id].append(lot)
    return rows, lots


def _resources(
    patient: Patient, rows: _Rows, lots: dict[int, list[InfusionLot]], today: date,
    ctx: resources.FhirContext,
) -> dict[str, list[dict]]:
    facts = [RegimenFact(r.id, r.starts_on, r.dose_g_per_kg, r.interval_days)
             for r in rows.regimens]
    current_fact = current_regimen(facts, today)
    current = next((r for r in rows.regimens if current_fact and r.id == current_fact.id),
                   None)
    requests = []
    for n, regimen in enumerate(rows.regimens):
        following = rows.regimens[n + 1] if n + 1 < len(rows.regimens) else None
        ends_on = (max(regimen.starts_on, following.starts_on - timedelta(days=1))
                   if following is not None else None)
        status = resources.regimen_status(regimen, current=current, patient_status=patient.status)
        requests.append(resources.medication_request(regimen, status=status, ends_on=ends_on,
                                                ctx=ctx))
    given = [i for i in rows.infusions if i.status == CourseStatus.GIVEN]
    administered = {i.id for i in given}
    return {
        "Patient": [resources.patient_resource(patient, ctx)],
        "MedicationRequest": requests,
        "MedicationAdministration": [
            resources.medication_administration(i, lots.get(i.id, []), ctx) for i in given],
        "Observation": [resources.observation(a, administered_ids=administered, ctx=ctx)
                        for a in rows.assessments],
        "Appointment": [resources.appointment(i, ctx) for i in rows.infusions],
    }
