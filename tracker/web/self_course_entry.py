"""A self-infused course as its form describes it: the patient's diary form and the staff's
form have the same boxes, read here once."""

from collections.abc import Mapping
from datetime import date

from tracker.services.errors import Invalid
from tracker.services.self_courses import SelfCourse


def self_course_entry(values: Mapping[str, str], *, today: date) -> SelfCourse:
    """The course the boxes' text describes (day blank: today); Invalid naming the field the
    service would name, so that both forms put the message by the same box."""
    return SelfCourse(
        given_on=form_day(values.get("given_on", ""), "scheduled_on") or today,
        lot_number=values.get("lot_number", ""),
        vials=_whole(values.get("vials", ""), "lots.0.vials"),
        expires_on=form_day(values.get("expires_on", ""), "lots.0.expires_on"),
        product_code=values.get("product_code") or None,
        reactions=values.get("reactions", ""),
    )


def form_day(text: str, field: str) -> date | None:
    """A day box's text (YYYY-MM-DD, as a date input sends it), None when blank."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid("choose a day", field=field) from None


def _whole(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise Invalid("write a whole number, such as 2", field=field)
    return int(text)
