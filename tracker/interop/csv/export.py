"""Exporting the caseload as the five CSV files the import reads, streamed in batches."""

import csv
from collections import defaultdict
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import IO

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.formats.csv_cells import safe_text
from tracker.interop.batches import patient_batches
from tracker.interop.csv.layout import COLUMNS, KINDS, TEXT_COLUMNS, LotCell, encode_lots
from tracker.interop.csv.layout import file_name as csv_file_name
from tracker.rules import weight_change
from tracker.rules.vocabulary import CourseStatus
from tracker.store.models import (
    Assessment,
    Chair,
    Infusion,
    InfusionLot,
    Patient,
    Product,
    Regimen,
    Weight,
)

EXPORT_BATCH = 500
# Plain columns, not ORM objects: building hundreds of thousands of model instances would be
# most of the export's time.
REGIMEN_COLUMNS = ("patient_id", "starts_on", "dose_g_per_kg", "interval_days",
                   "days_per_course", "product_id", "weight_basis", "reason", "override_reason")
LOT_COLUMNS = ("infusion_id", "lot_number", "vials", "size_g", "expires_on")
COURSE_COLUMNS = ("id", "patient_id", "scheduled_on", "status", "start_time", "chair_id",
                  "days", "chair_minutes", "dose_g", "product_id", "reactions",
                  "premedication", "notes", "cancel_reason")
SCORE_COLUMNS = ("patient_id", "taken_on", "measure", "side", "value", "timing",
                 "infusion_id")


def write_caseload(
    session: Session, out_dir: Path, *, batch_size: int = EXPORT_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write patients.csv ... scores.csv into a directory; the rows written to each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handles = {k: (out_dir / csv_file_name(k)).open("w", encoding="utf-8", newline="")
               for k in KINDS}
    try:
        return write_caseload_to(session, handles, batch_size=batch_size, progress=progress)
    finally:
        for handle in handles.values():
            handle.close()


def write_caseload_to(
    session: Session, handles: dict[str, IO[str]], *, batch_size: int = EXPORT_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the five files into open text handles, patients in batches by id."""
    writers = {k: csv.writer(handles[k]) for k in KINDS}
    for kind, writer in writers.items():
        writer.writerow(COLUMNS[kind])
    counts = dict.fromkeys(KINDS, 0)
    products = {p.id: p.code for p in session.exec(select(Product))}
    chairs = {c.id: c.code for c in session.exec(select(Chair))}
    total = session.exec(select(func.count()).select_from(Patient)).one()
    done = 0
    for patients in patient_batches(session, batch_size):
        mrn = {p.id: p.mrn for p in patients}
        rows = _batch_rows(session, list(mrn), mrn, products, chairs, patients)
        for kind in KINDS:
            for row in rows[kind]:
                writers[kind].writerow(_cells(kind, row))
            counts[kind] += len(rows[kind])
        done += len(patients)
        session.expunge_all()
        if progress is not None:
            progress(done, total)
    return counts


def _batch_rows(session, ids, mrn, products, chairs, patients) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {k: [] for k in KINDS}
    for p in patients:
        out["patients"].append({
            "mrn": p.mrn, "given_name": p.given_name, "family_name": p.family_name,
            "birth_date": p.birth_date, "sex": p.sex, "height_cm": p.height_cm,
            "email": p.email, "reminder_consent": "true" if p.reminder_consent else "false",
            "diagnosis": p.diagnosis, "status": p.status,
            "min_interval_days": p.min_interval_days, "max_interval_days": p.max_interval_days,
        })
    written: dict[int, list[tuple]] = {}
    for w in session.exec(select(Weight.patient_id, Weight.measured_on, Weight.weight_kg)
                          .where(Weight.patient_id.in_(ids))
                          .order_by(Weight.patient_id, Weight.measured_on, Weight.id)):
        before = written.setdefault(w.patient_id, [])
        # A jump kept after a confirmation is marked so that importing the file keeps it too.
        change = weight_change(before, measured_on=w.measured_on, weight_kg=w.weight_kg)
        out["weights"].append({
            "mrn": mrn[w.patient_id], "measured_on": w.measured_on, "weight_kg": w.weight_kg,
            "confirm_weight_change": "true" if change and change.needs_confirmation else None})
        before.append((w.measured_on, w.weight_kg))
    for r in session.exec(_columns(Regimen, REGIMEN_COLUMNS)
                          .where(Regimen.patient_id.in_(ids))
                          .order_by(Regimen.patient_id, Regimen.starts_on, Regimen.id)):
        out["regimens"].append({
            "mrn": mrn[r.patient_id], "starts_on": r.starts_on,
            "dose_g_per_kg": r.dose_g_per_kg, "interval_days": r.interval_days,
            "days_per_course": r.days_per_course, "product_code": products.get(r.product_id),
            "weight_basis": r.weight_basis, "reason": r.reason,
            "override_reason": r.override_reason})
    lots: dict[int, list] = defaultdict(list)
    for lot in session.exec(_columns(InfusionLot, LOT_COLUMNS).join(Infusion)
                            .where(Infusion.patient_id.in_(ids)).order_by(InfusionLot.id)):
        lots[lot.infusion_id].append(lot)
    course_day = {}
    for c in session.exec(_columns(Infusion, COURSE_COLUMNS)
                          .where(Infusion.patient_id.in_(ids))
                          .order_by(Infusion.patient_id, Infusion.scheduled_on, Infusion.id)):
        course_day[c.id] = c.scheduled_on
        given = c.status == CourseStatus.GIVEN
        out["courses"].append({
            "mrn": mrn[c.patient_id], "scheduled_on": c.scheduled_on, "status": c.status,
            "start_time": c.start_time, "chair": chairs.get(c.chair_id), "days": c.days,
            "chair_minutes": c.chair_minutes, "dose_g": c.dose_g if given else None,
            "product_code": products.get(c.product_id),
            "lots": encode_lots([
                LotCell(lot.lot_number, str(lot.vials), _text(lot.size_g),
                        _text(lot.expires_on)) for lot in lots[c.id]]) if given else None,
            "reactions": c.reactions if given else None, "premedication": c.premedication,
            "notes": c.notes,
            "cancel_reason": c.cancel_reason
            if c.status in (CourseStatus.CANCELLED, CourseStatus.MISSED) else None,
        })
    for a in session.exec(_columns(Assessment, SCORE_COLUMNS)
                          .where(Assessment.patient_id.in_(ids))
                          .order_by(Assessment.patient_id, Assessment.taken_on, Assessment.id)):
        out["scores"].append({
            "mrn": mrn[a.patient_id], "taken_on": a.taken_on, "measure": a.measure,
            "side": a.side, "value": a.value, "timing": a.timing,
            "course_on": course_day.get(a.infusion_id)})
    return out


def _columns(model, names: tuple[str, ...]):
    return select(*(getattr(model, name) for name in names))


def _cells(kind: str, row: dict) -> list[str]:
    return [safe_text(_text(row.get(c))) if c in TEXT_COLUMNS else _text(row.get(c))
            for c in COLUMNS[kind]]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # The shortest text that reads back as the same number: 72.35, 70, 0.4.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
