"""Regimens, chairs and infusion courses."""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from tracker.schemas.common import (
    ClockTime,
    Day,
    Input,
    Note,
    Output,
    Reason,
    ShortText,
    StrictBool,
)

ProductCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
# A nurse's username, as staff accounts are named (schemas.staff).
NurseName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# Where a visit is when it is not the patient's home (respite, holiday): lines and postcode.
VisitAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
]
Site = Literal["chair", "home_nurse", "self"]  # rules.vocabulary.CareSite
ChairCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Grams = Annotated[float, Field(gt=0, le=400)]


class RegimenCreate(Input):
    """A new regimen; it follows (never edits) the one before."""

    starts_on: Day
    dose_g_per_kg: Annotated[float, Field(gt=0, le=5)]
    interval_days: Annotated[int, Field(ge=1, le=365)]
    days_per_course: Annotated[int, Field(ge=1, le=5)] = 1
    product_code: ProductCode | None = None
    weight_basis: Literal["auto", "actual", "adjusted"] = "auto"
    reason: ShortText = ""
    override_reason: Reason | None = None
    # iv or sc (clinical rules 9): an SC regimen is given every 7 or 14 days (422 otherwise),
    # and the IV interval bounds do not apply to it.
    route: Literal["iv", "sc"] = "iv"


class ConvertToSc(Input):
    """Converting the current IV regimen to SCIG (clinical rules 9)."""

    # 7 or 14, checked by the rules (`rules.subcutaneous`), which name the field refused.
    interval_days: Annotated[int, Field(ge=1, le=365, json_schema_extra={"enum": [7, 14]})]
    # The conversion day (default today); the SC regimen starts on it, or when the next IV
    # course would have been due if that is later.
    on: Day | None = None


class VialRead(Output):
    """So many vials of one size."""

    size_g: float
    count: int


class RegimenRead(Output):
    """A regimen with the dose calculated for the patient's weight."""

    id: int
    patient_id: int
    starts_on: date
    dose_g_per_kg: float
    interval_days: int
    days_per_course: int
    product_code: str | None
    weight_basis: str
    reason: str
    override_reason: str | None
    dosing_weight_kg: float | None
    weight_basis_used: str | None
    # The measured weight the dose was calculated on (null for regimens written before it
    # was kept).
    actual_weight_kg: float | None = None
    weight_note: str = ""
    dose_g: float | None
    dose_g_per_day: float | None
    intensity_g_per_kg_28d: float
    vials: list[VialRead]
    vial_waste_g: float | None
    from_action: str | None = None
    route: str = "iv"


class ChairRead(Output):
    """An infusion chair."""

    code: str
    name: str


class LotInput(Input):
    """A lot used in a course."""

    lot_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
    ]
    vials: Annotated[int, Field(ge=1, le=200)]
    size_g: Grams | None = None
    expires_on: Day | None = None


class InfusionCreate(Input):
    """A booking, or a course recorded as already given."""

    scheduled_on: Day
    start_time: ClockTime | None = None
    chair: ChairCode | None = None
    # Where the course is given (clinical rules 9); a home visit names its nurse, and its
    # address when not the patient's home.
    site: Site = "chair"
    nurse: NurseName | None = None
    visit_address: VisitAddress | None = None
    days: Annotated[int, Field(ge=1, le=5)] = 1
    status: Literal["booked", "given"] = "booked"
    # Booked: the dose planned (answered as `planned_dose_g`); given: the dose given. At most
    # 200 g a day of the course (rules.plausibility.HIGHEST_DOSE_G_PER_DAY).
    dose_g: Grams | None = None
    product_code: ProductCode | None = None
    lots: Annotated[list[LotInput], Field(max_length=20)] = []
    # Lots whose vials times sizes differ from the dose given are kept only with this set.
    confirm_lot_total: StrictBool = False
    reactions: Note | None = None
    premedication: ShortText | None = None
    notes: Note | None = None
    # Why the course goes ahead outside or beyond the funding authorisations, when the site
    # requires them (clinical rules 8): without it such a course is refused with 409.
    override_reason: Reason | None = None


class InfusionAdminister(Input):
    """Recording a booked course as given."""

    given_on: Day | None = None
    dose_g: Grams
    product_code: ProductCode | None = None
    lots: Annotated[list[LotInput], Field(max_length=20)] = []
    # Lots whose vials times sizes differ from the dose given are kept only with this set.
    confirm_lot_total: StrictBool = False
    reactions: Note | None = None
    premedication: ShortText | None = None
    notes: Note | None = None
    override_reason: Reason | None = None  # as for InfusionCreate


class InfusionReschedule(Input):
    """Moving a booked course to another day, time or chair."""

    scheduled_on: Day
    start_time: ClockTime | None = None
    chair: ChairCode | None = None
    # A home visit's nurse (left out: the same nurse, checked again at the new time).
    nurse: NurseName | None = None
    override_reason: Reason | None = None  # as for InfusionCreate


class InfusionCancel(Input):
    """Cancelling a booked course."""

    reason: Reason


class LotRead(Output):
    """A lot used in a course."""

    lot_number: str
    vials: int
    size_g: float | None
    expires_on: date | None


class InfusionRead(Output):
    """An infusion course."""

    id: int
    patient_id: int
    regimen_id: int | None
    scheduled_on: date
    start_time: ClockTime | None
    chair: str | None
    site: Site = "chair"
    nurse: str | None = None
    # The visit's own address; null: the patient's home address.
    visit_address: str | None = None
    days: int
    chair_minutes: int | None
    status: str
    dose_g: float | None
    planned_dose_g: float | None
    product_code: str | None
    lots: list[LotRead]
    reactions: str | None
    premedication: str | None
    notes: str | None
    cancel_reason: str | None
    override_reason: str | None = None
