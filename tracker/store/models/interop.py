"""Calendar feeds: the secret links that calendar apps subscribe to."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from tracker.store.types import UTCDateTime, utcnow

FEED_KINDS = ("patient", "chair", "nurse")

# Each feed names exactly its one subject: a patient, a chair or a nurse (a staff user).
FEED_SUBJECT = (
    "(kind = 'patient' AND patient_id IS NOT NULL AND chair_id IS NULL AND nurse_id IS NULL)"
    " OR (kind = 'chair' AND chair_id IS NOT NULL AND patient_id IS NULL AND nurse_id IS NULL)"
    " OR (kind = 'nurse' AND nurse_id IS NOT NULL AND patient_id IS NULL AND chair_id IS NULL)"
)


class CalendarFeed(SQLModel, table=True):
    """A calendar feed of one patient's or one chair's courses, behind a secret token.

    Calendar apps cannot log in, so the token in the feed's address is the credential: only
    its SHA-256 is kept, and a revoked feed answers 404 for ever after.
    """

    __tablename__ = "calendar_feed"
    __table_args__ = (
        CheckConstraint("kind IN ('patient', 'chair', 'nurse')", name="kind"),
        CheckConstraint(FEED_SUBJECT, name="subject"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=10)
    patient_id: int | None = Field(
        default=None, foreign_key="patient.id", ondelete="CASCADE", index=True
    )
    chair_id: int | None = Field(
        default=None, foreign_key="chair.id", ondelete="CASCADE", index=True
    )
    nurse_id: int | None = Field(
        default=None, foreign_key="staff_user.id", ondelete="CASCADE", index=True
    )
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DiaryLink(SQLModel, table=True):
    """A patient's diary link: a secret address through which the patient records grip
    readings, wear-off days and notes at home, with no staff account.

    Only the token's SHA-256 is kept; a link expires on `expires_on` and a revoked one
    (`revoked_at`) never works again.
    """

    __tablename__ = "diary_link"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_on: date
    revoked_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DiaryNote(SQLModel, table=True):
    """A note the patient wrote through a diary link."""

    __tablename__ = "diary_note"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE", index=True)
    diary_link_id: int = Field(foreign_key="diary_link.id", ondelete="CASCADE")
    written_on: date
    text: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
