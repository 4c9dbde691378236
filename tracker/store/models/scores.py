"""Strength and disability scores, reviews and decisions on recommendations."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Computed, Index, Integer
from sqlmodel import Field, SQLModel

from tracker.rules.vocabulary import Decision, ReviewOutcome, Side, Source, Timing, sql_in
from tracker.store.score_kinds import kind_code_sql
from tracker.store.types import UTCDateTime, utcnow


class Assessment(SQLModel, table=True):
    """One score of one measure (and side), taken before or after an infusion or in clinic."""

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint(sql_in("timing", Timing), name="timing"),
        CheckConstraint(sql_in("side", Side, nullable=True), name="side"),
        CheckConstraint(sql_in("source", Source), name="source"),
        Index("ix_assessment_patient_day", "patient_id", "taken_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    taken_on: date
    measure: str = Field(max_length=30)
    side: str | None = Field(default=None, max_length=5)
    value: float
    timing: str = Field(max_length=15)
    # clinic or home (clinical rules 10): each (measure, side, source) is its own series.
    source: str = Field(default=Source.CLINIC, max_length=6)
    infusion_id: int | None = Field(default=None, foreign_key="infusion.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # (measure, side, timing, source) as one number, computed by the database when the row
    # is written or changed (store.score_kinds): the sweep reads it for every score.
    kind_code: int | None = Field(
        default=None,
        sa_column=Column("kind_code", Integer, Computed(kind_code_sql(), persisted=True)),
    )


class Review(SQLModel, table=True):
    """A formal reassessment of whether treatment continues, changes or stops."""

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint(sql_in("outcome", ReviewOutcome), name="outcome"),
        Index("ix_review_patient_day", "patient_id", "reviewed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    reviewed_on: date
    outcome: str = Field(max_length=10)
    notes: str | None = Field(default=None, max_length=4000)
    reviewed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RecommendationDecision(SQLModel, table=True):
    """A person's answer to a recommended action: accepted (a new regimen) or dismissed."""

    __tablename__ = "recommendation_decision"
    __table_args__ = (
        CheckConstraint(sql_in("decision", Decision), name="decision"),
        Index("ix_decision_regimen", "regimen_id", "action"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE", index=True)
    regimen_id: int = Field(foreign_key="regimen.id", ondelete="CASCADE")
    action: str = Field(max_length=30)
    decision: str = Field(max_length=10)
    reason: str = Field(default="", max_length=1000)
    new_regimen_id: int | None = Field(default=None, foreign_key="regimen.id")
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
