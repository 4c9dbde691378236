"""Inputs and answers for the suite's chairs, opening hours and closure days."""

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from tracker.schemas.common import CLOCK_PATTERN, ClockTime, Day, Input, Output

# Codes are short and printable: they appear in URLs of calendar feeds and on the ward.
NewChairCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$"
    ),
]
ChairName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
ClosureReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8)]
SubdivisionCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]


class ChairCreate(Input):
    """A new chair: its short code and the name the ward knows it by."""

    code: NewChairCode
    name: ChairName


class ChairRename(Input):
    """A chair's new name (its code stays: bookings and feeds refer to it)."""

    name: ChairName


class DayHoursInput(Input):
    """One weekday's hours; both empty means closed that day."""

    opens: ClockTime | None = None
    closes: ClockTime | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> "DayHoursInput":
        if (self.opens is None) != (self.closes is None):
            raise ValueError("give both the opening and the closing time, or neither (closed)")
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValueError(f"opens {self.opens:%H:%M} is not before closes {self.closes:%H:%M}")
        return self


class OpeningHoursWrite(Input):
    """The week's hours, Monday first, and the country whose public holidays close the suite."""

    days: Annotated[list[DayHoursInput], Field(min_length=7, max_length=7)]
    holiday_country: CountryCode = ""
    holiday_subdivision: SubdivisionCode = ""


# Times answer as the contract says, HH:MM (a plain `time` would be HH:MM:SS).
Clock = Annotated[str, Field(pattern=CLOCK_PATTERN)]


class DayHoursRead(Output):
    """One weekday's hours as stored, as HH:MM (both None: closed)."""

    weekday: int
    name: str
    opens: Clock | None
    closes: Clock | None


class OpeningHoursRead(Output):
    """The week's hours, Monday first, and the holiday country ("" for none)."""

    days: list[DayHoursRead]
    holiday_country: str
    holiday_subdivision: str


class ClosureCreate(Input):
    """A day the suite is closed, with the reason."""

    day: Day
    reason: ClosureReason


class ClosureRead(Output):
    """A closure day: the site's own (with an id) or a public holiday (kind "holiday")."""

    id: int | None = None
    day: date
    reason: str
    kind: str = "site"
