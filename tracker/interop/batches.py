"""Every patient in id order, a batch at a time: how the exports stream a whole caseload."""

from collections.abc import Iterator, Sequence

from sqlmodel import Session, select

from tracker.store.models import Patient


def patient_batches(session: Session, batch_size: int) -> Iterator[Sequence[Patient]]:
    """Patients in batches of `batch_size`, by id (keyset paging: each batch is one query)."""
    last_id = 0
    while True:
        patients = session.exec(
            select(Patient).where(Patient.id > last_id).order_by(Patient.id).limit(batch_size)
        ).all()
        if not patients:
            return
        yield patients
        last_id = patients[-1].id
