"""Other treatments of MMN besides IVIG, as recorded and as read back."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from tracker.rules.vocabulary import OtherTreatmentKind
from tracker.schemas.common import Day, Input, Note, Output

Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class OtherTreatmentCreate(Input):
    """A treatment besides IVIG; a trial drug or "other" says which in `description`."""

    kind: OtherTreatmentKind
    # validate_default: a missing description is checked against the kind, too.
    description: Description = Field(default="", validate_default=True)
    started_on: Day
    stopped_on: Day | None = None
    notes: Note | None = None

    @field_validator("description")
    @classmethod
    def _named_when_the_kind_does_not_say(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is not None and kind.needs_description and not value:
            raise ValueError(
                f"say which {'trial drug' if kind == 'trial_drug' else 'treatment'} this is"
            )
        return value

    @field_validator("stopped_on")
    @classmethod
    def _not_before_the_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        started_on = info.data.get("started_on")
        if value is not None and started_on is not None and value < started_on:
            raise ValueError("must not be before started_on")
        return value


class OtherTreatmentStop(Input):
    """The last day of an other treatment."""

    stopped_on: Day


class OtherTreatmentRead(Output):
    """A recorded other treatment, with who recorded it."""

    id: int
    patient_id: int
    kind: OtherTreatmentKind
    description: str
    started_on: date
    stopped_on: date | None
    notes: str | None
    recorded_by_id: int | None
    recorded_by: str | None  # the staff member's username
    recorded_at: datetime
