"""Exporting the caseload as the six CSV files the import reads, streamed in batches."""

import csv
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, time
from pathlib import Path
from typing import IO

from sqlmodel import Session

from tracker.formats.csv_cells import safe_text
from tracker.interop.csv.layout import COLUMNS, KINDS, TEXT_COLUMNS, LotCell, encode_lots
from tracker.interop.csv.layout import file_name as csv_file_name
from tracker.rules import weight_change
from tracker.rules.plausibility import LOT_TOTAL_TOLERANCE_G, lots_total_difference
from tracker.rules.vocabulary import CourseStatus
from tracker.services.catalogue import every_chair, every_product
from tracker.services.exports import (
    CaseloadRows,
    caseload_rows,
    patient_batches,
    patient_count,
    staff_usernames,
)
from tracker.store.ids import stored_id
from tracker.store.models import Patient

EXPORT_BATCH = 500


def write_caseload(
    session: Session,
    out_dir: Path,
    *,
    batch_size: int = EXPORT_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write patients.csv ... scores.csv into a directory; the rows written to each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handles: dict[str, IO[str]] = {
        k: (out_dir / csv_file_name(k)).open("w", encoding="utf-8", newline="") for k in KINDS
    }
    try:
        return write_caseload_to(session, handles, batch_size=batch_size, progress=progress)
    finally:
        for handle in handles.values():
            handle.close()


def write_caseload_to(
    session: Session,
    handles: dict[str, IO[str]],
    *,
    batch_size: int = EXPORT_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the six files into open text handles, patients in batches by id."""
    writers = {k: csv.writer(handles[k]) for k in KINDS}
    for kind, writer in writers.items():
        writer.writerow(COLUMNS[kind])
    counts = dict.fromkeys(KINDS, 0)
    products = {stored_id(p): p.code for p in every_product(session)}
    chairs = {stored_id(c): c.code for c in every_chair(session)}
    nurses = staff_usernames(session)
    total = patient_count(session)
    done = 0
    for patients in patient_batches(session, batch_size):
        rows = _batch_rows(
            caseload_rows(session, [stored_id(p) for p in patients]),
            patients,
            products,
            chairs,
            nurses,
        )
        for kind in KINDS:
            for row in rows[kind]:
                writers[kind].writerow(_cells(kind, row))
            counts[kind] += len(rows[kind])
        done += len(patients)
        if progress is not None:
            progress(done, total)
    return counts


def _batch_rows(
    stored: CaseloadRows,
    patients: Sequence[Patient],
    products: dict[int, str],
    chairs: dict[int, str],
    nurses: dict[int, str],
) -> dict[str, list[dict]]:
    mrn = {stored_id(p): p.mrn for p in patients}
    out: dict[str, list[dict]] = {k: [] for k in KINDS}
    for p in patients:
        out["patients"].append(
            {
                "mrn": p.mrn,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "birth_date": p.birth_date,
                "sex": p.sex,
                "height_cm": p.height_cm,
                "email": p.email,
                "reminder_consent": "true" if p.reminder_consent else "false",
                "diagnosis": p.diagnosis,
                "status": p.status,
                "min_interval_days": p.min_interval_days,
                "max_interval_days": p.max_interval_days,
            }
        )
    written: dict[int, list[tuple]] = {}
    for w in stored.weights:
        before = written.setdefault(w.patient_id, [])
        # A jump kept after a confirmation is marked so that importing the file keeps it too.
        change = weight_change(before, measured_on=w.measured_on, weight_kg=w.weight_kg)
        out["weights"].append(
            {
                "mrn": mrn[w.patient_id],
                "measured_on": w.measured_on,
                "weight_kg": w.weight_kg,
                "confirm_weight_change": "true" if change and change.needs_confirmation else None,
            }
        )
        before.append((w.measured_on, w.weight_kg))
    for r in stored.regimens:
        out["regimens"].append(
            {
                "mrn": mrn[r.patient_id],
                "starts_on": r.starts_on,
                "dose_g_per_kg": r.dose_g_per_kg,
                "interval_days": r.interval_days,
                "days_per_course": r.days_per_course,
                "product_code": products.get(r.product_id),
                "weight_basis": r.weight_basis,
                "reason": r.reason,
                "override_reason": r.override_reason,
                "route": r.route,
            }
        )
    lots: dict[int, list] = defaultdict(list)
    for lot in stored.lots:
        lots[lot.infusion_id].append(lot)
    course_day = {}
    for c in stored.courses:
        course_day[c.id] = c.scheduled_on
        given = c.status == CourseStatus.GIVEN
        out["courses"].append(
            {
                "mrn": mrn[c.patient_id],
                "scheduled_on": c.scheduled_on,
                "status": c.status,
                "start_time": c.start_time,
                "chair": chairs.get(c.chair_id),
                "site": c.site,
                "nurse": nurses.get(c.nurse_id),
                "days": c.days,
                "chair_minutes": c.chair_minutes,
                "dose_g": c.dose_g if given else None,
                "product_code": products.get(c.product_id),
                "lots": encode_lots(
                    [
                        LotCell(
                            lot.lot_number,
                            str(lot.vials),
                            _as_cell(lot.size_g),
                            _as_cell(lot.expires_on),
                        )
                        for lot in lots[c.id]
                    ]
                )
                if given
                else None,
                # Lots kept after a confirmed difference are marked so an import keeps them.
                "confirm_lot_total": "true" if given and _lots_differ(c, lots[c.id]) else None,
                "reactions": c.reactions if given else None,
                "premedication": c.premedication,
                "notes": c.notes,
                "cancel_reason": c.cancel_reason
                if c.status in (CourseStatus.CANCELLED, CourseStatus.MISSED)
                else None,
            }
        )
    for a in stored.scores:
        out["scores"].append(
            {
                "mrn": mrn[a.patient_id],
                "taken_on": a.taken_on,
                "measure": a.measure,
                "side": a.side,
                "value": a.value,
                "timing": a.timing,
                "course_on": course_day.get(a.infusion_id),
                "source": a.source,
            }
        )
    for au in stored.authorizations:
        out["authorizations"].append(
            {
                "mrn": mrn[au.patient_id],
                "payer": au.payer,
                "reference": au.reference,
                "starts_on": au.starts_on,
                "ends_on": au.ends_on,
                "approved_g": au.approved_g,
                "approved_courses": au.approved_courses,
            }
        )
    return out


def _cells(kind: str, row: dict) -> list[str]:
    return [
        safe_text(_as_cell(row.get(c))) if c in TEXT_COLUMNS else _as_cell(row.get(c))
        for c in COLUMNS[kind]
    ]


def _as_cell(value) -> str:
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


def _lots_differ(course, course_lots) -> bool:
    difference = lots_total_difference(
        [(lot.lot_number, lot.vials, lot.size_g, lot.expires_on) for lot in course_lots],
        dose_g=course.dose_g or 0,
    )
    return difference is not None and abs(difference) > LOT_TOTAL_TOLERANCE_G
