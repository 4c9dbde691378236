"""The lot recall as the JSON API answers it."""

from datetime import date

from tracker.schemas.common import Output


class RecallCourse(Output):
    """A course in which the lot was given, and whose it was."""

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


class RecallRead(Output):
    """Every course that used the lot, and how many patients received it."""

    lot: str
    patients: int
    courses: list[RecallCourse]
