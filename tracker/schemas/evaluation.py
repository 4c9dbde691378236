"""The schedule, the worklist and the site policy as the API shows them."""

from datetime import date
from typing import Any

from pydantic import BaseModel


class BookingRef(BaseModel):
    """The next booked course."""

    id: int
    scheduled_on: date


class RecommendationRead(BaseModel):
    """The one recommended action."""

    action: str
    proposed_interval_days: int | None
    proposed_dose_g_per_kg: float | None
    reason: str


class ScheduleRead(BaseModel):
    """When the next course is due, its window, the flags and the recommended action."""

    patient_id: int
    on: date
    regimen_id: int | None
    due_on: date | None
    window_start: date | None
    window_end: date | None
    next_booking: BookingRef | None
    flags: list[dict[str, Any]]
    recommendation: RecommendationRead | None


class WorklistItem(BaseModel):
    """One patient on the worklist."""

    patient_id: int
    mrn: str
    name: str
    due_on: date | None
    window_start: date | None
    window_end: date | None
    next_booking_on: date | None = None
    # The day an authorisation ends or is projected to run out (authorization_ending), and
    # the first day of the next course no authorisation covers (authorization_missing).
    authorization_ending_on: date | None = None
    authorization_missing_on: date | None = None
    flags: list[dict[str, Any]]
    recommendation: RecommendationRead | None


class Worklist(BaseModel):
    """A page of the worklist, most urgent first."""

    total: int
    items: list[WorklistItem]
