"""FHIR export: one patient's Bundle, and bulk NDJSON of every patient, streamed in batches."""

import json
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path

from sqlmodel import Session

from tracker.interop.fhir import resources as fhir
from tracker.rules import CourseFact, RegimenFact, current_regimen
from tracker.rules.authorizations import funded_courses, standings
from tracker.rules.vocabulary import CourseStatus
from tracker.services.catalogue import every_chair, every_product
from tracker.services.evaluation import authorization_fact, course_dose
from tracker.services.exports import (
    TreatmentHistory,
    patient_batches,
    patient_count,
    treatment_histories,
)
from tracker.settings import Settings
from tracker.store.ids import stored_id
from tracker.store.models import InfusionLot, Patient
from tracker.store.types import utcnow

RESOURCE_TYPES = (
    "Patient",
    "MedicationRequest",
    "MedicationAdministration",
    "Observation",
    "Appointment",
    "Coverage",
)
BULK_BATCH = 200


def fhir_context(session: Session, settings: Settings) -> fhir.FhirContext:
    """The products, chairs, base URL and zone the resources are written with."""
    return fhir.FhirContext(
        base_url=settings.base_url,
        zone=settings.zone,
        products={stored_id(p): (p.code, p.name) for p in every_product(session)},
        chairs={stored_id(c): c.name for c in every_chair(session)},
        clinic_opens=time.fromisoformat(settings.clinic_opens),
        clinic_closes=time.fromisoformat(settings.clinic_closes),
    )


def patient_bundle(session: Session, *, patient: Patient, today: date, settings: Settings) -> dict:
    """One patient's record as a FHIR R4 collection Bundle."""
    ctx = fhir_context(session, settings)
    patient_id = stored_id(patient)
    histories, lots = treatment_histories(session, [patient_id])
    by_type = _resources(patient, histories[patient_id], lots, today, ctx)
    stamp = utcnow()
    return fhir.bundle(
        [r for kind in RESOURCE_TYPES for r in by_type[kind]],
        bundle_id=f"patient-{patient.id}-{stamp:%Y%m%d%H%M%S}",
        stamp=stamp,
        ctx=ctx,
    )


def write_bulk_ndjson(
    session: Session,
    *,
    out_dir: Path,
    today: date,
    settings: Settings,
    batch_size: int = BULK_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Every patient as NDJSON, one file per resource type; the count written of each.

    Patients are read in batches of `batch_size` by id and forgotten after each batch, so
    memory stays flat however many patients there are.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = fhir_context(session, settings)
    counts = dict.fromkeys(RESOURCE_TYPES, 0)
    total = patient_count(session)
    files = {
        kind: (out_dir / f"{kind}.ndjson").open("w", encoding="utf-8") for kind in RESOURCE_TYPES
    }
    try:
        done = 0
        for patients in patient_batches(session, batch_size):
            histories, lots = treatment_histories(session, [stored_id(p) for p in patients])
            for patient in patients:
                for kind, resources in _resources(
                    patient, histories[stored_id(patient)], lots, today, ctx
                ).items():
                    for resource in resources:
                        files[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
                    counts[kind] += len(resources)
            done += len(patients)
            if progress is not None:
                progress(done, total)
    finally:
        for handle in files.values():
            handle.close()
    return counts


def _resources(
    patient: Patient,
    history: TreatmentHistory,
    lots: dict[int, list[InfusionLot]],
    today: date,
    ctx: fhir.FhirContext,
) -> dict[str, list[dict]]:
    facts = [
        RegimenFact(stored_id(r), r.starts_on, r.dose_g_per_kg, r.interval_days, r.dose_g)
        for r in history.regimens
    ]
    current_fact = current_regimen(facts, today)
    current = next((r for r in history.regimens if current_fact and r.id == current_fact.id), None)
    requests = []
    for n, regimen in enumerate(history.regimens):
        following = history.regimens[n + 1] if n + 1 < len(history.regimens) else None
        ends_on = (
            max(regimen.starts_on, following.starts_on - timedelta(days=1))
            if following is not None
            else None
        )
        status = fhir.regimen_status(regimen, current=current, patient_status=patient.status)
        requests.append(fhir.medication_request(regimen, status=status, ends_on=ends_on, ctx=ctx))
    given = [i for i in history.infusions if i.status == CourseStatus.GIVEN]
    administered = {stored_id(i) for i in given}
    return {
        "Patient": [fhir.patient_resource(patient, ctx)],
        "MedicationRequest": requests,
        "MedicationAdministration": [
            fhir.medication_administration(i, lots.get(stored_id(i), []), ctx) for i in given
        ],
        "Observation": [
            fhir.observation(a, administered_ids=administered, ctx=ctx) for a in history.assessments
        ],
        "Appointment": [fhir.appointment(i, ctx) for i in history.infusions],
        "Coverage": _coverages(history, facts, today, ctx),
    }


def _coverages(
    history: TreatmentHistory, regimens: list[RegimenFact], today: date, ctx: fhir.FhirContext
) -> list[dict]:
    """Each funding authorisation with what is used and booked against it on `today`, charged
    by the rules as the funding bars charge it."""
    if not history.authorizations:
        return []
    doses = {stored_id(i): d for i in history.infusions if (d := course_dose(i)) is not None}
    courses = funded_courses(
        [CourseFact(stored_id(i), i.scheduled_on, i.status) for i in history.infusions],
        regimens=regimens,
        doses=doses,
        on=today,
    )
    by_id = {
        s.authorization.id: s
        for s in standings([authorization_fact(a) for a in history.authorizations], courses)
    }
    return [fhir.coverage(a, by_id.get(stored_id(a)), ctx) for a in history.authorizations]
