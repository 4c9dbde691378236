"""Building blocks for the schemas: strict inputs, bounded dates and texts."""

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
)

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)


def _plausible_day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: Any) -> date:
    # Lax pydantic reads 0 as 1970-01-01 and takes timestamps and datetimes for days: a day
    # is a date, or its text as YYYY-MM-DD, and nothing else.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a day of the calendar (YYYY-MM-DD)") from None
    raise ValueError("must be a date as YYYY-MM-DD")


# Every day an input takes (bodies, forms, CSV rows and query parameters such as `on`).
Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_plausible_day)]

# Text sources (page forms, CSV files) validate with this context: their yes/no is text.
TEXT_SOURCE = {"text_source": True}


def _strict_flag(value: Any, info: ValidationInfo) -> Any:
    # A JSON body's yes/no is true or false: "yes", 1 or "true" are refused, never taken for
    # consent. A form or a CSV file holds only text, so there the text is read as a yes/no.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and info.context and info.context.get("text_source"):
        return value
    raise ValueError("must be true or false")


# Every yes/no an input takes (pydantic's StrictBool for JSON, text for forms and CSV files).
StrictBool = Annotated[bool, BeforeValidator(_strict_flag)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Input(BaseModel):
    """An input body: unknown fields are refused, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    """An answer body, readable from ORM rows."""

    model_config = ConfigDict(from_attributes=True)
