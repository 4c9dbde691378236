"""Diagnostic assessments in and their classification out (clinical rules 7)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from tracker.rules.diagnosis import Classification, CriterionStatus, FindingSource
from tracker.schemas.common import Day, Input, Note, StrictBool
from tracker.store.models.diagnosis import MAX_FINDING_COUNT

FindingCount = Annotated[int, Field(ge=0, le=MAX_FINDING_COUNT)]


class DiagnosisCreate(Input):
    """A diagnostic assessment; every finding may be left out (unknown)."""

    assessed_on: Day
    symptom_onset_on: Day | None = None
    diagnosis_on: Day | None = None
    notes: Note | None = None
    weak_nerves: FindingCount | None = None
    weakness_over_1_month: StrictBool | None = None
    definite_block_nerves: FindingCount | None = None
    probable_block_segments: FindingCount | None = None
    sensory_conduction_normal: StrictBool | None = None
    anti_gm1_igm_raised: StrictBool | None = None
    csf_protein_raised: StrictBool | None = None
    mri_plexus_t2: StrictBool | None = None
    improved_after_ivig: StrictBool | None = None
    upper_motor_neuron_signs: StrictBool | None = None
    marked_bulbar: StrictBool | None = None
    sensory_beyond_minor_vibration: StrictBool | None = None
    diffuse_symmetric_early_weakness: StrictBool | None = None


class FindingsRead(BaseModel):
    """The findings, each null when unknown."""

    weak_nerves: int | None
    weakness_over_1_month: bool | None
    definite_block_nerves: int | None
    probable_block_segments: int | None
    sensory_conduction_normal: bool | None
    anti_gm1_igm_raised: bool | None
    csf_protein_raised: bool | None
    mri_plexus_t2: bool | None
    improved_after_ivig: bool | None
    upper_motor_neuron_signs: bool | None
    marked_bulbar: bool | None
    sensory_beyond_minor_vibration: bool | None
    diffuse_symmetric_early_weakness: bool | None


class DerivedRead(BaseModel):
    """What the tracker derives, whether or not a recorded value overrides it."""

    weakness_over_1_month: bool | None
    improved_after_ivig: bool | None


class CriterionRead(BaseModel):
    """One criterion in the clinician's words and whether it is met."""

    code: str
    label: str
    kind: str
    status: CriterionStatus


class StaffRef(BaseModel):
    """Who recorded it."""

    id: int
    username: str
    full_name: str


class DiagnosisRead(BaseModel):
    """An assessment classified on the day `on`."""

    id: int
    patient_id: int
    on: date
    assessed_on: date
    assessed_by: StaffRef | None
    symptom_onset_on: date | None
    diagnosis_on: date | None
    notes: str | None
    created_at: datetime
    classification: Classification
    possible: list[Classification]
    unknown: list[str]
    improved_after_ivig_source: FindingSource | None
    weakness_over_1_month_source: FindingSource | None
    findings: FindingsRead
    findings_used: FindingsRead
    derived: DerivedRead
    first_course_on: date | None
    onset_to_first_course_days: int | None
    criteria: list[CriterionRead]
