"""Patients and weights."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from tracker.rules.policy import PATIENT_INTERVAL_DAYS
from tracker.schemas.common import Day, Email, Given, Input, Name, Output, StrictBool

Mrn = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
]
Sex = Literal["female", "male"]
Status = Literal["active", "on_hold", "discharged"]
AddressLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Postcode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=16, pattern=r"^[A-Za-z0-9 -]*$")
]
IntervalBound = Annotated[int, Field(ge=PATIENT_INTERVAL_DAYS.low, le=PATIENT_INTERVAL_DAYS.high)]


class _IntervalBounds:
    # Field validators, not a model validator: the error then names its field (a model
    # validator's is the whole body's). min_interval_days is declared, so checked, first.
    @field_validator("max_interval_days")
    @classmethod
    def _bounds_in_order(cls, high: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min_interval_days")
        if low is not None and high is not None and low > high:
            raise ValueError("max_interval_days must not be below min_interval_days")
        return high

    @field_validator("birth_date", check_fields=False)
    @classmethod
    def _born_in_the_past(cls, born: date | None) -> date | None:
        if born is not None and born > date.today():
            raise ValueError("birth_date is in the future")
        return born


class PatientCreate(_IntervalBounds, Input):
    """A new patient."""

    mrn: Mrn
    given_name: Name
    family_name: Name
    birth_date: Day
    sex: Sex | None
    height_cm: Annotated[float, Field(ge=50, le=250)] | None = None
    email: Email | None = None
    # The home address, where a nurse visits (clinical rules 9).
    address_line1: AddressLine | None = None
    address_line2: AddressLine | None = None
    postcode: Postcode | None = None
    reminder_consent: StrictBool = False
    diagnosis: Name = "MMN"
    min_interval_days: IntervalBound | None = None
    max_interval_days: IntervalBound | None = None


class PatientUpdate(_IntervalBounds, Input):
    """A change to a patient: only the fields given are changed."""

    mrn: Given[Mrn] = None
    given_name: Given[Name] = None
    family_name: Given[Name] = None
    birth_date: Given[Day] = None
    sex: Sex | None = None
    height_cm: Annotated[float, Field(ge=50, le=250)] | None = None
    email: Email | None = None
    address_line1: AddressLine | None = None
    address_line2: AddressLine | None = None
    postcode: Postcode | None = None
    reminder_consent: Given[StrictBool] = None
    diagnosis: Given[Name] = None
    status: Given[Status] = None
    min_interval_days: IntervalBound | None = None
    max_interval_days: IntervalBound | None = None


class PatientRead(Output):
    """A patient as the API shows it."""

    id: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str | None
    height_cm: float | None
    email: str | None
    address_line1: str | None = None
    address_line2: str | None = None
    postcode: str | None = None
    reminder_consent: bool
    diagnosis: str
    status: str
    min_interval_days: int | None
    max_interval_days: int | None
    created_at: datetime
    updated_at: datetime


class PatientCreated(PatientRead):
    """A patient just registered, with the ids of patients likely to be the same person
    (same given name, family name and birth date): a warning, not a refusal."""

    possible_duplicates: list[int]


class WeightCreate(Input):
    """A weight measured on a day."""

    measured_on: Day
    weight_kg: Annotated[float, Field(gt=2, le=400)]
    # A weight more than 10% from the previous one is kept only with this set (lb typed as
    # kg is the usual cause).
    confirm_weight_change: StrictBool = False


class WeightRead(Output):
    """A recorded weight."""

    id: int
    patient_id: int
    measured_on: date
    weight_kg: float
