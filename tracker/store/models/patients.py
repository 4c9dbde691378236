"""Patients and their weights."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, event
from sqlmodel import Field, SQLModel

from tracker.rules.identity import mrn_key
from tracker.rules.vocabulary import PatientStatus, Sex, codes, sql_in
from tracker.store.types import UTCDateTime, utcnow

PATIENT_STATUSES = codes(PatientStatus)
SEXES = codes(Sex)


class Patient(SQLModel, table=True):
    """A person receiving maintenance IVIG."""

    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint(sql_in("status", PatientStatus), name="status"),
        CheckConstraint(sql_in("sex", Sex, nullable=True), name="sex"),
        Index("ix_patient_family_name", "family_name", "given_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mrn: str = Field(max_length=40, unique=True, index=True)
    # The MRN as compared (rules.identity.mrn_key), kept in step with `mrn` on every write:
    # `BAD65252` and `bad65252.` are one MRN, so this, not `mrn`, is what is unique.
    mrn_key: str = Field(default="", max_length=40, unique=True, index=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: date
    sex: str | None = Field(default=None, max_length=10)
    height_cm: float | None = None
    email: str | None = Field(default=None, max_length=254)
    # The home address, where a nurse visits (clinical rules 9).
    address_line1: str | None = Field(default=None, max_length=100)
    address_line2: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=16)
    reminder_consent: bool = False
    diagnosis: str = Field(default="MMN", max_length=100)
    status: str = Field(default="active", max_length=20)
    # A patient's own interval bounds, where the neurologist set them (else the site policy's).
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    # The day the patient last came back from hold: the next course is due from it.
    resumed_on: date | None = None
    # Rows made by `tracker demo`, so that it never touches a database with real patients.
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@event.listens_for(Patient, "before_insert")
@event.listens_for(Patient, "before_update")
def _keep_mrn_key(_mapper, _connection, patient: Patient) -> None:
    # Bulk inserts (the caseload import) pass `mrn_key` themselves.
    patient.mrn_key = mrn_key(patient.mrn)


class Weight(SQLModel, table=True):
    """A body weight measured on a clinical day."""

    __tablename__ = "weight"
    __table_args__ = (
        CheckConstraint("weight_kg > 0", name="positive"),
        Index("ix_weight_patient_day", "patient_id", "measured_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    measured_on: date
    weight_kg: float
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
