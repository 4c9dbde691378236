"""Diagnostic assessments: the findings of the EFNS/PNS criteria, dated and signed."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from tracker.store.types import UTCDateTime, utcnow

# Counts of nerves or segments a person can examine; the classification reads up to 2.
MAX_FINDING_COUNT = 50


def _count_range(column: str) -> CheckConstraint:
    return CheckConstraint(
        f"{column} IS NULL OR {column} BETWEEN 0 AND {MAX_FINDING_COUNT}", name=f"{column}_range"
    )


class DiagnosticAssessment(SQLModel, table=True):
    """A dated record, by a named user, of the diagnostic findings; None is unknown."""

    __tablename__ = "diagnostic_assessment"
    __table_args__ = (
        _count_range("weak_nerves"),
        _count_range("definite_block_nerves"),
        _count_range("probable_block_segments"),
        CheckConstraint(
            "symptom_onset_on IS NULL OR symptom_onset_on <= assessed_on",
            name="onset_not_after_assessment",
        ),
        Index("ix_diagnostic_assessment_patient_day", "patient_id", "assessed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    assessed_on: date
    assessed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    symptom_onset_on: date | None = None
    diagnosis_on: date | None = None
    # clinical
    weak_nerves: int | None = None
    weakness_over_1_month: bool | None = None
    # nerve studies
    definite_block_nerves: int | None = None
    probable_block_segments: int | None = None
    sensory_conduction_normal: bool | None = None
    # supportive
    anti_gm1_igm_raised: bool | None = None
    csf_protein_raised: bool | None = None
    mri_plexus_t2: bool | None = None
    improved_after_ivig: bool | None = None
    # exclusions
    upper_motor_neuron_signs: bool | None = None
    marked_bulbar: bool | None = None
    sensory_beyond_minor_vibration: bool | None = None
    diffuse_symmetric_early_weakness: bool | None = None
    notes: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
