"""Patients: create, read, change, search."""

from sqlalchemy import func, or_
from sqlmodel import Session, select

from tracker.store.models import Patient


def search_patients(
    session: Session, *, query: str = "", limit: int = 50, offset: int = 0
) -> tuple[int, list[Patient]]:
    """Patients whose MRN or name contains the query, by family name; (total, one page)."""
    stmt = select(Patient)
    needle = query.strip().lower()
    if needle:
        like = f"%{needle}%"
        stmt = stmt.where(
            or_(
                func.lower(Patient.mrn).like(like),
                func.lower(Patient.family_name).like(like),
                func.lower(Patient.given_name).like(like),
                func.lower(Patient.family_name + ", " + Patient.given_name).like(like),
                func.lower(Patient.given_name + " " + Patient.family_name).like(like),
            )
        )
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)
