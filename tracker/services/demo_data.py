"""What the demo cohort reads and writes: its catalogue, its safety checks and bulk rows."""

import secrets
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import Session as ModelSession
from sqlmodel import SQLModel

from tracker.services import audit
from tracker.services.actors import SYSTEM
from tracker.services.staff import create_user
from tracker.store.ids import stored_id
from tracker.store.models import Chair, Patient, Product, SitePolicyRow, StaffUser
from tracker.store.types import utcnow


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


def put_demo_staff(session: Session, username: str, full_name: str, role: str) -> int:
    """The id of the demo's staff account with this username, made when missing.

    A new account gets a random password that nobody is told: `tracker demo
    --admin-login-file` gives the demo's accounts passwords and keeps them in that file.
    """
    found = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar()
    if found is not None:
        return stored_id(found)
    user = create_user(
        cast(ModelSession, session),
        actor=SYSTEM,
        username=username,
        role=role,
        password=secrets.token_urlsafe(24),
        full_name=full_name,
    )
    return stored_id(user)


def require_authorizations(session: Session) -> None:
    """Turn on the site policy's `authorizations_required` (audited), keeping its other values.

    The demo's patients are evaluated after it (the caller's refresh), so no re-evaluation is
    queued.
    """
    row = session.get(SitePolicyRow, 1)
    if row is None:
        row = SitePolicyRow(id=1, values={})
        session.add(row)
    if row.values.get("authorizations_required") is True:
        return
    before = bool(row.values.get("authorizations_required", False))
    row.values = {**row.values, "authorizations_required": True}
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        cast(ModelSession, session),
        actor=SYSTEM,
        action="policy.update",
        entity="site_policy",
        entity_id=1,
        changes={"authorizations_required": [before, True], "reason": "demo cohort"},
    )
