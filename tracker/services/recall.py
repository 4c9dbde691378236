"""Lot recall: every patient who received vials of a given lot, with the courses concerned."""

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.formats.csv_cells import safe_text
from tracker.rules.vocabulary import CourseStatus
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Invalid
from tracker.store.ids import stored_id
from tracker.store.models import Infusion, InfusionLot, Patient, Product

CSV_COLUMNS = (
    "mrn",
    "family_name",
    "given_name",
    "email",
    "patient_status",
    "given_on",
    "dose_g",
    "product",
    "lot_number",
    "vials",
    "size_g",
    "expires_on",
)


@dataclass(frozen=True)
class RecallRow:
    """One course in which the lot was given."""

    patient_id: int
    mrn: str
    family_name: str
    given_name: str
    email: str | None
    patient_status: str
    infusion_id: int
    given_on: date
    dose_g: float | None
    product: str | None
    lot_number: str
    vials: int
    size_g: float | None
    expires_on: date | None

    def to_dict(self) -> dict[str, Any]:
        """The row as the JSON API gives it."""
        return asdict(self)


def lot_recall(session: Session, *, actor: Actor, lot: str, via: str) -> list[RecallRow]:
    """Every given course that used the lot (any case, spaces trimmed); audited."""
    wanted = lot.strip()
    if not wanted:
        raise Invalid("give the lot number to look for", field="lot")
    if len(wanted) > 60:
        raise Invalid("a lot number has at most 60 characters", field="lot")
    # Case-insensitive: a recall notice may print the lot in other letters than the label
    # did, and a recall must not miss a vial for that.
    found = session.exec(
        select(InfusionLot, Infusion, Patient, Product.name)
        .join(Infusion, Infusion.id == InfusionLot.infusion_id)
        .join(Patient, Patient.id == Infusion.patient_id)
        .outerjoin(Product, Product.id == Infusion.product_id)
        .where(
            func.upper(InfusionLot.lot_number) == wanted.upper(),
            Infusion.status == CourseStatus.GIVEN,
        )
        .order_by(
            Patient.family_name,
            Patient.given_name,
            Patient.id,
            Infusion.scheduled_on,
            InfusionLot.id,
        )
    ).all()
    merged: dict[tuple[int, str, float | None], RecallRow] = {}
    for lot_row, course, patient, product in found:
        # The same lot entered twice for one course: one line, all vials; vials of two sizes
        # stay two lines (one line would count every vial at the first size).
        key = (stored_id(course), lot_row.lot_number, lot_row.size_g)
        if key in merged:
            old = merged[key]
            merged[key] = RecallRow(**{**asdict(old), "vials": old.vials + lot_row.vials})
            continue
        merged[key] = RecallRow(
            patient_id=stored_id(patient),
            mrn=patient.mrn,
            family_name=patient.family_name,
            given_name=patient.given_name,
            email=patient.email,
            patient_status=patient.status,
            infusion_id=key[0],
            given_on=course.scheduled_on,
            dose_g=course.dose_g,
            product=product,
            lot_number=lot_row.lot_number,
            vials=lot_row.vials,
            size_g=lot_row.size_g,
            expires_on=lot_row.expires_on,
        )
    rows = list(merged.values())
    patients = sorted({r.patient_id for r in rows})
    # A recall lists many patients at once: the trail names each of them, in the lookup's
    # entry and as a read of each one's record (so that a patient's own trail shows it).
    audit.record(
        session,
        actor=actor,
        action="recall.lookup",
        entity="lot",
        changes={
            "lot": wanted,
            "via": via,
            "courses": len(rows),
            "patients": len(patients),
            "patient_ids": patients,
        },
    )
    for patient_id in patients:
        audit.patient_viewed(
            session, actor=actor, patient_id=patient_id, part=f"recall of lot {wanted}"
        )
    return rows


def recall_csv(rows: list[RecallRow]) -> str:
    """The recall as CSV for a spreadsheet (text cells made safe from formulas)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                safe_text(r.mrn),
                safe_text(r.family_name),
                safe_text(r.given_name),
                safe_text(r.email or ""),
                r.patient_status,
                r.given_on.isoformat(),
                "" if r.dose_g is None else f"{r.dose_g:g}",
                safe_text(r.product or ""),
                safe_text(r.lot_number),
                r.vials,
                "" if r.size_g is None else f"{r.size_g:g}",
                r.expires_on.isoformat() if r.expires_on else "",
            ]
        )
    return out.getvalue()


def patient_count(rows: list[RecallRow]) -> int:
    """How many different patients the recall concerns."""
    return len({r.patient_id for r in rows})
