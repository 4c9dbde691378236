"""The demo's safety checks: it never writes into a database that holds real patients."""

from sqlalchemy.orm import Session

from tracker.services import demo_data


class DemoRefused(Exception):
    """The demo cohort cannot be loaded into this database; the message says why."""


def ensure_demo_allowed(session: Session) -> None:
    """Raise DemoRefused when the database holds any patient that is not a demo patient."""
    real = demo_data.real_patient_count(session)
    if real:
        raise DemoRefused(
            f"refusing to load the demo: this database holds {real} real (non-demo) "
            f"patient{'s' if real != 1 else ''}; use an empty database for the demo"
        )


def has_demo(session: Session) -> bool:
    """True when demo patients are already loaded."""
    return demo_data.has_demo_patients(session)
