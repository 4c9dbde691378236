"""What the demo cohort reads and writes: its catalogue, its safety checks and bulk rows."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from tracker.store.models import Chair, Patient, Product


def active_products(session: Session) -> dict[str, Product]:
    """The products in use, by code, in code order."""
    rows = session.execute(
        select(Product).where(Product.active.is_(True)).order_by(Product.code)
    ).scalars()
    return {product.code: product for product in rows}


def active_chair_ids(session: Session) -> list[int]:
    """The ids of the chairs in use, in code order."""
    return list(
        session.execute(
            select(Chair.id).where(Chair.active.is_(True)).order_by(Chair.code)
        ).scalars()
    )


def real_patient_count(session: Session) -> int:
    """How many patients are not demo patients."""
    return int(
        session.execute(
            select(func.count()).select_from(Patient).where(Patient.is_demo.is_(False))
        ).scalar_one()
    )


def has_demo_patients(session: Session) -> bool:
    """True when demo patients are already loaded."""
    found = session.execute(select(Patient.id).where(Patient.is_demo.is_(True)).limit(1))
    return found.first() is not None


def add_and_flush(session: Session, rows: Iterable[SQLModel]) -> None:
    """Add these table rows and flush, so that their ids are known."""
    session.add_all(list(rows))
    session.flush()


def insert_in_order(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert plain rows in list order (so ids follow it), in the session's transaction."""
    if rows:
        # render_nulls: otherwise the ORM splits the batch wherever a different column is None.
        session.execute(insert(model).execution_options(render_nulls=True), list(rows))
