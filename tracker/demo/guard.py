"""The demo's safety checks: it never writes into a database that holds real patients."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.store.models import Patient


class DemoRefused(Exception):
    """The demo cohort cannot be loaded into this database; the message says why."""


def ensure_demo_allowed(session: Session) -> None:
    """Raise DemoRefused when the database holds any patient that is not a demo patient."""
    real = session.execute(
        select(func.count()).select_from(Patient).where(Patient.is_demo.is_(False))
    ).scalar_one()
    if real:
        raise DemoRefused(
            f"refusing to load the demo: this database holds {real} real (non-demo) "
            f"patient{'s' if real != 1 else ''}; use an empty database for the demo"
        )


def has_demo(session: Session) -> bool:
    """True when demo patients are already loaded."""
    found = session.execute(select(Patient.id).where(Patient.is_demo.is_(True)).limit(1))
    return found.first() is not None
