"""How long a course holds its chair, and when two holds clash (the booking rules)."""

from __future__ import annotations

from datetime import date, time, timedelta

from tracker.rules.dosing import DosingError, estimated_chair_minutes

WHOLE_DAY_MINUTES = 24 * 60
# A course whose length cannot be estimated (no dose, weight or product) holds 4 hours.
DEFAULT_CHAIR_MINUTES = 240


def chair_minutes(
    *,
    dose_g: float | None,
    weight_kg: float | None,
    concentration_percent: float | None,
    max_rate_mg_per_kg_per_min: float | None,
    start_rate_mg_per_kg_per_min: float | None,
) -> int:
    """Minutes a course holds its chair, from the dose, the weight and the product's rates;
    the default when any is unknown or unusable."""
    if not (
        dose_g
        and weight_kg
        and concentration_percent
        and max_rate_mg_per_kg_per_min
        and start_rate_mg_per_kg_per_min
    ):
        return DEFAULT_CHAIR_MINUTES
    per_ml = 10 * concentration_percent  # mg of IgG in one mL
    try:
        return estimated_chair_minutes(
            dose_g=dose_g,
            weight_kg=weight_kg,
            concentration_percent=concentration_percent,
            max_rate_ml_per_kg_per_min=max_rate_mg_per_kg_per_min / per_ml,
            start_rate_ml_per_kg_per_min=start_rate_mg_per_kg_per_min / per_ml,
        )
    except DosingError:
        return DEFAULT_CHAIR_MINUTES


def chair_span(start: time | None, minutes: int | None) -> tuple[int, int]:
    """The minutes after midnight a course holds its chair on each of its days: from its
    start for its minutes (the default when unknown), or all day when no time is given."""
    if start is None:
        return 0, WHOLE_DAY_MINUTES
    begin = start.hour * 60 + start.minute
    return begin, begin + (minutes or DEFAULT_CHAIR_MINUTES)


def spans_clash(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when two holds of one chair on one day overlap (touching ends do not)."""
    return a[0] < b[1] and b[0] < a[1]


def course_days(first: date, count: int) -> set[date]:
    """The days a course of `count` days starting on `first` holds its chair."""
    return {first + timedelta(days=i) for i in range(count)}
