"""Funding authorisations as recorded, corrected and read back with their figures."""

from datetime import date
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from tracker.schemas.common import Day, Input, Output

Payer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# A year of 2 g/kg every week for 150 kg is some 15,600 g: far more is a slip of the keyboard.
ApprovedGrams = Annotated[float, Field(gt=0, le=100_000)]
ApprovedCourses = Annotated[int, Field(ge=1, le=1000)]


class AuthorizationCreate(Input):
    """A payer's or programme's approval for one patient (clinical rules 8): from starts_on to
    ends_on, both included; approved_g and approved_courses are limits, absent for none."""

    payer: Payer
    reference: Reference
    starts_on: Day
    ends_on: Day
    approved_g: ApprovedGrams | None = None
    approved_courses: ApprovedCourses | None = None


class AuthorizationUpdate(Input):
    """A correction: only the fields sent change; a limit sent as null is removed."""

    payer: Payer | None = None
    reference: Reference | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    approved_g: ApprovedGrams | None = None
    approved_courses: ApprovedCourses | None = None

    @field_validator("payer", "reference", "starts_on", "ends_on")
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        # Run only for the fields sent: these may change, never become empty.
        if value is None:
            raise ValueError("cannot be cleared: send a value or leave the field out")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their new values."""
        return self.model_dump(include=self.model_fields_set)


class AuthorizationRead(Output):
    """An authorisation and its figures on the day asked (section 8): used (given courses),
    booked, remaining (below zero: the shortfall; null without a limit) and the projected day
    it runs out (null when it does not by ends_on)."""

    id: int
    patient_id: int
    payer: str
    reference: str
    starts_on: date
    ends_on: date
    approved_g: float | None
    approved_courses: int | None
    used_g: float
    used_courses: int
    booked_g: float
    booked_courses: int
    remaining_g: float | None
    remaining_courses: int | None
    projected_exhausted_on: date | None
