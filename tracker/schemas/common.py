"""Building blocks for the schemas: strict inputs, bounded dates and texts."""

import re
from datetime import date, datetime, time
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import EMAIL_MAX_LENGTH
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
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


# The days from EARLIEST_DAY to LATEST_DAY as the OpenAPI document declares them (the
# calendar itself, such as February's length, is `format: date`'s part).
DAY_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

# Every day an input takes (bodies, forms, CSV rows and query parameters such as `on`).
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_plausible_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]

# A time of day as the contract writes it: HH:MM, 24-hour (not 9:30, 09:30:00 or 09:30Z).
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_CLOCK = re.compile(CLOCK_PATTERN)


def _clock_time(value: Any) -> time:
    if isinstance(value, time):  # from Python (builders, services), never from a request
        return value
    if isinstance(value, str) and _CLOCK.fullmatch(value):
        return time.fromisoformat(value)
    raise ValueError("must be a time of day as HH:MM (24-hour), e.g. 09:30")


# Every time of day an input takes or an answer gives: HH:MM both ways, and declared so.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": CLOCK_PATTERN, "maxLength": 5, "examples": ["09:30"]}
    ),
]


def _not_emptied(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be emptied (leave it out to keep it)")
    return value


def _without_null(schema: dict[str, Any]) -> None:
    options = schema.pop("anyOf", None)
    if options is not None:
        kept = [option for option in options if option != {"type": "null"}]
        schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
    if schema.get("default", "") is None:
        del schema["default"]


T = TypeVar("T")
# A field of a change that may be left out (None in Python: unset) but not set to null, as
# its column cannot be empty: refused naming the field, and declared without null.
Given = Annotated[T | None, AfterValidator(_not_emptied), Field(json_schema_extra=_without_null)]

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


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# An address as email-validator takes it, declared: a domain of labels with a dot, ending in
# a letter (no IP address, no all-digit top-level domain), and not a special-use name
# (.test, .localhost, ...: nothing can be delivered there).
EMAIL_PATTERN = (
    r"^(?!.*\.("
    + "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
    + r")$)[^@\s]+@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9-]*[A-Za-z]$"
)
# idn-email: like email-validator, the name before the @ may hold any letters (SMTPUTF8).
Email = Annotated[
    EmailStr,
    WithJsonSchema(
        {
            "type": "string",
            "format": "idn-email",
            "pattern": EMAIL_PATTERN,
            "maxLength": EMAIL_MAX_LENGTH,
        }
    ),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


def _is_number(annotation: Any) -> bool:
    # int, float, or either of them Annotated or optional (bool is a kind of its own).
    if get_origin(annotation) is Annotated:
        return _is_number(get_args(annotation)[0])
    if annotation in (int, float):
        return True
    kinds = [a for a in get_args(annotation) if a is not type(None)]
    return (
        get_origin(annotation) in (Union, UnionType) and bool(kinds) and all(map(_is_number, kinds))
    )


class Input(BaseModel):
    """An input body: unknown fields are refused, so a typo never silently does nothing, and
    a number is a number (not `true`, not `"5"`) unless the input is text (forms, CSV)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, bool | str) or (info.context and info.context.get("text_source")):
            return value
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _is_number(field.annotation):
            raise ValueError("must be a number")
        return value


class Output(BaseModel):
    """An answer body, readable from ORM rows."""

    model_config = ConfigDict(from_attributes=True)
