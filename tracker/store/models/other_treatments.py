"""Treatments of MMN besides IVIG: cyclophosphamide, rituximab, a trial drug, or another."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from tracker.rules.vocabulary import OtherTreatmentKind, sql_in
from tracker.store.types import UTCDateTime, utcnow


def _quoted(kinds) -> str:
    return ", ".join(f"'{k.value}'" for k in kinds)


class OtherTreatment(SQLModel, table=True):
    """One other treatment of one patient, from its first day to its last (open: ongoing)."""

    __tablename__ = "other_treatment"
    __table_args__ = (
        CheckConstraint(sql_in("kind", OtherTreatmentKind), name="kind"),
        CheckConstraint("stopped_on IS NULL OR stopped_on >= started_on", name="stop_after_start"),
        CheckConstraint(
            f"kind NOT IN ({_quoted(k for k in OtherTreatmentKind if k.needs_description)})"
            " OR description <> ''",
            name="described",
        ),
        Index("ix_other_treatment_patient_start", "patient_id", "started_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    description: str = Field(default="", max_length=200)  # the drug or regimen, in words
    started_on: date
    stopped_on: date | None = None  # the last day; None while it goes on
    notes: str | None = Field(default=None, max_length=2000)
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
