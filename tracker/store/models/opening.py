"""When the infusion suite is open: hours per weekday, the site's closure days, its country."""

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from tracker.store.types import UTCDateTime, utcnow


class OpeningHours(SQLModel, table=True):
    """The suite's hours on one weekday (0 = Monday); no hours means closed that day."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("(opens IS NULL AND closes IS NULL) OR opens < closes", name="hours"),
    )

    weekday: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    opens: time | None = None
    closes: time | None = None
    updated_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ClosureDay(SQLModel, table=True):
    """A day the site closes the suite (training, a move, an outage), with the reason."""

    __tablename__ = "closure_day"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    reason: str = Field(max_length=200)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SiteCalendar(SQLModel, table=True):
    """One row: the country (and subdivision) whose public holidays close the suite."""

    __tablename__ = "site_calendar"

    id: int = Field(default=1, primary_key=True)
    # An ISO 3166 code the `holidays` package knows ("GB", "NL"), or "" for none.
    holiday_country: str = Field(default="", max_length=8)
    holiday_subdivision: str = Field(default="", max_length=16)
    updated_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
