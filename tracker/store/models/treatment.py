"""Products, chairs, regimens and infusion courses with their lots."""

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from tracker.rules.vocabulary import CareSite, CourseStatus, Route, sql_in
from tracker.store.types import UTCDateTime, utcnow

INFUSION_STATUSES = ("booked", "given", "cancelled", "missed")

# Which resource each site of care holds (clinical rules 9; rules.visits checks it first,
# naming the field): a home visit has its nurse and no chair, a course in the centre no
# nurse, a course the patient gives at home neither.
SITE_RESOURCES = (
    "(site = 'chair' AND nurse_id IS NULL)"
    " OR (site = 'home_nurse' AND nurse_id IS NOT NULL AND chair_id IS NULL)"
    " OR (site = 'self' AND nurse_id IS NULL AND chair_id IS NULL)"
)
WEIGHT_BASES = ("auto", "actual", "adjusted")


class Product(SQLModel, table=True):
    """An immunoglobulin brand as its label describes it."""

    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    manufacturer: str = Field(default="", max_length=120)
    concentration_percent: float
    # Comma-separated vial contents in grams, e.g. "1,2.5,5,10,20" (kept as text: a short,
    # fixed list that both SQLite and PostgreSQL store alike).
    vial_sizes_g: str = Field(max_length=100)
    # Infusion rates as the labels give them, in mg of IgG per kg per minute (independent of
    # the concentration; mL/kg/min = mg/kg/min / (10 x concentration %)).
    start_rate_mg_per_kg_per_min: float
    max_rate_mg_per_kg_per_min: float
    # The GTIN-14 in the vials' GS1 DataMatrix, set by an admin from the pack (none seeded:
    # a wrong one would fill the wrong product at the chair).
    gtin: str | None = Field(default=None, max_length=14, unique=True)
    active: bool = True

    @property
    def vial_sizes(self) -> tuple[float, ...]:
        """The vial contents in grams, smallest first."""
        return tuple(sorted(float(s) for s in self.vial_sizes_g.split(",") if s.strip()))


class Chair(SQLModel, table=True):
    """An infusion chair that can hold one patient at a time."""

    __tablename__ = "chair"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=80)
    active: bool = True
    # Bumped by every booking on this chair: the UPDATE takes the row (PostgreSQL) or the
    # database (SQLite) write lock, so concurrent bookings of one chair queue, never overlap.
    booking_version: int = 0


class Regimen(SQLModel, table=True):
    """A prescription of dose and interval; never edited, only followed by a new one."""

    __tablename__ = "regimen"
    __table_args__ = (
        CheckConstraint("dose_g_per_kg > 0", name="dose_positive"),
        CheckConstraint("interval_days > 0", name="interval_positive"),
        CheckConstraint("days_per_course BETWEEN 1 AND 5", name="days"),
        CheckConstraint(sql_in("route", Route), name="route"),
        Index("ix_regimen_patient_start", "patient_id", "starts_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    starts_on: date
    dose_g_per_kg: float
    interval_days: int
    days_per_course: int = 1
    # iv or sc (clinical rules 9). An SC regimen's dose is a fixed number of grams (dose_g);
    # dose_g_per_kg is those grams over the dosing weight they were set on, kept for the
    # intensity figures.
    route: str = Field(default=Route.IV, max_length=2)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    weight_basis: str = Field(default="auto", max_length=10)
    reason: str = Field(default="", max_length=500)
    override_reason: str | None = Field(default=None, max_length=500)
    # The calculation as made when the regimen was written, kept for the record.
    dosing_weight_kg: float | None = None
    weight_basis_used: str | None = Field(default=None, max_length=10)
    dose_g: float | None = None
    # The measured weight the dose was calculated on, and the note saying which weight was
    # used and why: a later weight or policy never rewrites what the page shows.
    actual_weight_kg: float | None = None
    weight_note: str | None = Field(default=None, max_length=500)
    # When the regimen came from accepting a recommendation, which action it was.
    from_action: str | None = Field(default=None, max_length=30)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Infusion(SQLModel, table=True):
    """An infusion course: booked, then given, cancelled or missed."""

    __tablename__ = "infusion"
    __table_args__ = (
        CheckConstraint(sql_in("status", CourseStatus), name="status"),
        CheckConstraint("days BETWEEN 1 AND 5", name="days"),
        CheckConstraint(sql_in("site", CareSite), name="site"),
        CheckConstraint(SITE_RESOURCES, name="site_resources"),
        Index("ix_infusion_patient_day", "patient_id", "scheduled_on"),
        Index("ix_infusion_day_status", "scheduled_on", "status"),
        # The sweep reads each batch's bookings: a few among forty-odd courses a patient.
        Index(
            "ix_infusion_booked_patient",
            "patient_id",
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        # A booking's clash check reads one chair's courses around the day, booked or given.
        Index("ix_infusion_chair_day", "chair_id", "scheduled_on"),
        # Backstop for the chair lock: two live bookings can never share a chair's start.
        Index(
            "uq_infusion_chair_start",
            "chair_id",
            "scheduled_on",
            "start_time",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        # A visit's clash check reads one nurse's courses around the day.
        Index("ix_infusion_nurse_day", "nurse_id", "scheduled_on"),
        # Backstop for the nurse lock, as for the chair's.
        Index(
            "uq_infusion_nurse_start",
            "nurse_id",
            "scheduled_on",
            "start_time",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", ondelete="CASCADE")
    regimen_id: int | None = Field(default=None, foreign_key="regimen.id")
    scheduled_on: date
    start_time: time | None = None
    chair_id: int | None = Field(default=None, foreign_key="chair.id")
    # Where the course is given (clinical rules 9), the nurse a home visit holds, and the
    # visit's own address when it is not the patient's home (respite, holiday).
    site: str = Field(
        default=CareSite.CHAIR.value, max_length=12, sa_column_kwargs={"server_default": "chair"}
    )
    nurse_id: int | None = Field(default=None, foreign_key="staff_user.id")
    visit_address: str | None = Field(default=None, max_length=300)
    days: int = 1
    chair_minutes: int | None = None
    status: str = Field(default="booked", max_length=12)
    # The dose given (set when the course is given); the dose planned when it was booked.
    dose_g: float | None = None
    planned_dose_g: float | None = None
    product_id: int | None = Field(default=None, foreign_key="product.id")
    reactions: str | None = Field(default=None, max_length=1000)
    premedication: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    given_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    given_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)
    # Why the course was booked or given although no funding authorisation covers it, or
    # beyond one (clinical rules 8); kept in the audit entry too.
    override_reason: str | None = Field(default=None, max_length=500)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InfusionLot(SQLModel, table=True):
    """A product lot used in a given course, with its vial count."""

    __tablename__ = "infusion_lot"
    __table_args__ = (CheckConstraint("vials > 0", name="vials_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    infusion_id: int = Field(foreign_key="infusion.id", ondelete="CASCADE", index=True)
    lot_number: str = Field(max_length=60, index=True)
    vials: int
    size_g: float | None = None
    expires_on: date | None = None
