"""The site policy, each patient's evaluated state, the audit trail, the outbox, leases and
job runs."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Index
from sqlmodel import Column, Field, SQLModel

from tracker.rules.vocabulary import PatientStatus
from tracker.store.types import UTCDateTime, utcnow


class SitePolicyRow(SQLModel, table=True):
    """The site's clinical policy: one row holding the values that differ from the defaults."""

    __tablename__ = "site_policy"

    id: int = Field(default=1, primary_key=True)
    values: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Why the intensity cap is above the label's 2.4 (given with the change that set it).
    max_intensity_reason: str | None = Field(default=None, max_length=500)
    # Set by a policy change, cleared by the run that re-evaluates every patient after it:
    # the scheduler's next tick, or a sweep that started after it was set.
    re_evaluation_queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PatientState(SQLModel, table=True):
    """A patient's evaluation, kept current whenever their data change.

    The worklist for any day is one indexed query over this table: the date-driven flags are
    stored as the days on which they begin, the clinical ones as they were evaluated.
    """

    __tablename__ = "patient_state"
    __table_args__ = (
        Index("ix_state_overdue_from", "overdue_from"),
        Index("ix_state_needs_booking_from", "needs_booking_from"),
        Index("ix_state_review_due_from", "review_due_from"),
        Index("ix_state_window_start", "window_start"),
        Index("ix_state_window_end", "window_end", "patient_id"),
        Index("ix_state_action", "recommendation_action"),
        Index("ix_state_authorization_ending_on", "authorization_ending_on"),
        Index("ix_state_authorization_missing_on", "authorization_missing_on"),
        Index("ix_state_expires_on", "expires_on"),
    )

    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE", primary_key=True)
    status: str = Field(default=PatientStatus.ACTIVE, max_length=20)
    evaluated_on: date
    evaluated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    regimen_id: int | None = None
    due_on: date | None = None
    window_start: date | None = None
    window_end: date | None = None
    next_booking_id: int | None = None
    next_booking_on: date | None = None
    # The latest booked (not yet given) course: with none on or after day X, X needs booking.
    last_booking_on: date | None = None
    needs_booking_from: date | None = None
    overdue_from: date | None = None
    review_due_from: date | None = None
    next_review_on: date | None = None
    weight_stale_from: date | None = None
    waning_patterns: str | None = Field(default=None, max_length=40)
    waning_detail: str | None = Field(default=None, max_length=1000)
    # Section 11's flags, as evaluated: their detail, or None when the flag is off.
    refractory_detail: str | None = Field(default=None, max_length=1000)
    no_response_detail: str | None = Field(default=None, max_length=1000)
    recommendation_action: str | None = Field(default=None, max_length=30)
    proposed_interval_days: int | None = None
    proposed_dose_g_per_kg: float | None = None
    recommendation_reason: str | None = Field(default=None, max_length=1000)
    # Section 8's flags, as evaluated: the day the cause bites (an authorisation's end or
    # projected exhaustion; the first day of the next course none covers) and the detail, or
    # None when the flag is off. The worklist sorts their tabs by these days.
    authorization_ending_on: date | None = None
    authorization_ending_detail: str | None = Field(default=None, max_length=1000)
    authorization_missing_on: date | None = None
    authorization_missing_detail: str | None = Field(default=None, max_length=1000)
    # The first day on which this evaluation can change by the calendar alone
    # (rules/expiry.py): the daily sweep re-evaluates the patient on or after it. None (a
    # state stored before the column) is expired.
    expires_on: date | None = None


class AuditEvent(SQLModel, table=True):
    """One entry of the append-only audit trail, HMAC-chained to the entry before it."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_patient", "patient_id", "at"),
        Index("ix_audit_actor", "actor_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="staff_user.id")
    actor_name: str = Field(default="", max_length=64)
    action: str = Field(max_length=40)
    entity: str = Field(default="", max_length=40)
    entity_id: str | None = Field(default=None, max_length=40)
    patient_id: int | None = None
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ip_address: str | None = Field(default=None, max_length=45)
    prev_hmac: str = Field(default="", max_length=64)
    hmac: str = Field(default="", max_length=64)


class OutboxMessage(SQLModel, table=True):
    """An e-mail waiting to be sent, sent, or given up on; the key makes each send unique."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')",
            name="status",
        ),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    infusion_id: int | None = Field(default=None, foreign_key="infusion.id", index=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body_text: str
    body_html: str | None = None
    attachments: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=80)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: str | None = Field(default=None, max_length=250)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Retries stop a fixed time after the first attempt, not after the row was written: a
    # message queued while the dispatcher was down still gets its full day of retries.
    first_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Lease(SQLModel, table=True):
    """A named lease: only its holder may act until it expires (the scheduler's lock)."""

    __tablename__ = "lease"

    name: str = Field(max_length=40, primary_key=True)
    holder: str = Field(max_length=80)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """The last site day a daily job ran for: what makes it run once per local day."""

    __tablename__ = "job_run"

    name: str = Field(max_length=40, primary_key=True)
    last_on: date
    last_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    detail: str = Field(default="", max_length=200)


class PatientStateVersion(SQLModel, table=True):
    """One row: a token that every committed change to the patients' stored states replaces.

    A worker keeps the worklist's tab counts for a day under the token it read, and counts
    again when the token differs: another worker's write, committed, is seen at once. The
    token is random, not a counter, so that a value a rolled-back transaction saw is never
    taken again by a later change.
    """

    __tablename__ = "patient_state_version"

    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=32)


class SiteSettingsVersion(SQLModel, table=True):
    """One row: a token that every change to the site's settings replaces (the policy, the
    suite's weekly hours, closure days and holiday country), by triggers on their tables.

    Each worker keeps the settings under the token it read (services/site_settings.py) and
    reads them again when the token differs. Random, as PatientStateVersion's token is.
    """

    __tablename__ = "site_settings_version"

    id: int = Field(default=1, primary_key=True)
    token: str = Field(max_length=32)
