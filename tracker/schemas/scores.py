"""Assessments, reviews and decisions on recommendations."""

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from tracker.rules.measures import MEASURES
from tracker.rules.vocabulary import ReviewOutcome, Side, Source, Timing
from tracker.schemas.common import Day, Input, Note, Output, Reason

# Checked by the rules (`rules.measures`, which name the code refused); declared here.
MeasureCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=30),
    Field(json_schema_extra={"enum": sorted(MEASURES)}),
]


class AssessmentCreate(Input):
    """One score; the measure's unit, range and side rules are checked by the rules core."""

    taken_on: Day
    measure: MeasureCode
    side: Side | None = None
    value: Annotated[float, Field(allow_inf_nan=False)]
    timing: Timing
    infusion_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None
    # clinic or home (clinical rules 10): each (measure, side, source) is its own series.
    source: Source = Source.CLINIC


class AssessmentRead(Output):
    """A recorded score with its unit."""

    id: int
    patient_id: int
    taken_on: date
    measure: str
    side: str | None
    value: float
    unit: str
    timing: str
    infusion_id: int | None
    source: str = "clinic"


class ReviewCreate(Input):
    """A formal review of the treatment."""

    reviewed_on: Day
    outcome: ReviewOutcome
    notes: Note | None = None


class ReviewRead(Output):
    """A recorded review."""

    id: int
    patient_id: int
    reviewed_on: date
    outcome: str
    notes: str | None


class AcceptRecommendation(Input):
    """Accepting the recommended action: a new regimen from `on` (default today)."""

    on: Day | None = None


class DismissRecommendation(Input):
    """Dismissing the recommended action, with the reason."""

    reason: Reason
