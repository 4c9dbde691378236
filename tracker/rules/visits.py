"""Sites of care and home visits (clinical rules 9): which resource a course holds, and for
how long a visit holds its nurse.

A nurse is a resource like a chair: two visits of one nurse may not overlap. A visit holds
the nurse for the course's planned minutes (the chair's estimate, `chairs.chair_minutes`)
plus the site policy's `home_visit_buffer_minutes` for set-up and observation; a visit with
no start time holds the nurse all day, as an untimed booking holds its chair.
"""

from __future__ import annotations

from datetime import time

from tracker.rules.chairs import DEFAULT_CHAIR_MINUTES, chair_span
from tracker.rules.vocabulary import CareSite


class SiteError(ValueError):
    """A course whose resources do not fit its site of care, naming the field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_site_resources(site: str, *, chair: str | None, nurse: str | None) -> None:
    """`home_nurse` needs a nurse and has no chair; `chair` may have a chair and has no nurse;
    `self` has neither. Raise SiteError naming the field otherwise."""
    if site == CareSite.HOME_NURSE:
        if not nurse:
            raise SiteError("nurse", "a home visit needs a nurse (site home_nurse)")
        if chair:
            raise SiteError("chair", "a home visit holds a nurse, not a chair")
    elif nurse:
        raise SiteError("nurse", f"only a home visit (site home_nurse) has a nurse, not {site}")
    elif site == CareSite.SELF and chair:
        raise SiteError("chair", "a course the patient gives at home (site self) has no chair")


def bound_by_opening_hours(site: str) -> bool:
    """Only courses in the infusion centre are bound by the suite's opening hours."""
    return site == CareSite.CHAIR


def visit_minutes(planned_minutes: int | None, buffer_minutes: int) -> int:
    """How long a home visit holds its nurse: the course's planned minutes plus the buffer."""
    return (planned_minutes or DEFAULT_CHAIR_MINUTES) + buffer_minutes


def visit_span(
    start: time | None, planned_minutes: int | None, buffer_minutes: int
) -> tuple[int, int]:
    """The minutes after midnight a visit holds its nurse on each of its days (all day when
    it has no start time)."""
    return chair_span(start, visit_minutes(planned_minutes, buffer_minutes))


def visit_window(
    start: time | None, planned_minutes: int | None, buffer_minutes: int
) -> tuple[int, int] | None:
    """A visit's window as minutes after midnight (start, end; the end may pass midnight),
    or None when it has no start time."""
    if start is None:
        return None
    return visit_span(start, planned_minutes, buffer_minutes)


# The hours a nurse's week shows as free time between visits (visits may lie outside them).
NURSE_DAY = (8 * 60, 18 * 60)


def visit_address(
    own: str | None, line1: str | None, line2: str | None, postcode: str | None
) -> str:
    """Where a visit is: its own address (respite, holiday), else the patient's home."""
    if own:
        return own
    return ", ".join(part for part in (line1, line2, postcode) if part) or "no address on record"


def clock(minutes: int) -> str:
    """Minutes after midnight as HH:MM (past midnight: the next day's clock time)."""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def free_spans(
    taken: list[tuple[int, int]], *, day_start: int, day_end: int
) -> list[tuple[int, int]]:
    """The gaps between `taken` spans within the working day [day_start, day_end)."""
    free: list[tuple[int, int]] = []
    at = day_start
    for begin, end in sorted(taken):
        if begin > at:
            free.append((at, min(begin, day_end)))
        at = max(at, end)
        if at >= day_end:
            break
    if at < day_end:
        free.append((at, day_end))
    return [(a, b) for a, b in free if b > a]
