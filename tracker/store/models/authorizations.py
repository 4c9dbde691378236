"""Funding authorisations: a payer's or programme's approval of IVIG for one patient."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from tracker.store.types import UTCDateTime, utcnow


class FundingAuthorization(SQLModel, table=True):
    """An approval from `starts_on` to `ends_on` (both included) of so many grams and/or
    courses; a limit left empty is no limit (clinical rules 8)."""

    __tablename__ = "funding_authorization"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("approved_g IS NULL OR approved_g > 0", name="grams_positive"),
        CheckConstraint(
            "approved_courses IS NULL OR approved_courses > 0", name="courses_positive"
        ),
        Index("ix_funding_authorization_patient_start", "patient_id", "starts_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    payer: str = Field(max_length=120)  # the payer or programme
    reference: str = Field(max_length=80)  # the approval's number, as the payer writes it
    starts_on: date
    ends_on: date
    approved_g: float | None = None
    approved_courses: int | None = None
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
