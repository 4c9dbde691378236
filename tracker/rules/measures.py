"""Outcome measures used in MMN: units, direction, minimal clinically important differences."""

from __future__ import annotations

import math
from dataclasses import dataclass

SIDES = ("left", "right")


class ScoreError(ValueError):
    """A score that cannot be recorded; `field` is "measure", "side" or "value"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Measure:
    """One outcome measure; each (measure, side) pair forms its own series."""

    code: str
    label: str
    unit: str
    higher_is_better: bool
    mcid: float | None
    min_value: float
    max_value: float
    needs_side: bool
    whole_numbers: bool = False


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        # MCID 8 kPa from the ICE study; the Vigorimeter reads pressure, not force.
        Measure("grip_vigorimeter", "grip (Vigorimeter)", "kPa", True, 8, 0, 200, True),
        # MCID about 5 to 6.5 kg in a systematic review (not MMN-specific): 6 is the middle.
        Measure("grip_dynamometer", "grip (dynamometer)", "kg", True, 6, 0, 100, True),
        # 0..60 is the common 6-muscle-pair MRC sum. Some MMN trials sum more muscles (up to
        # 0..70 or 0..80); a site that uses such a sum would need a separate measure code,
        # because mixing the two in one series would fake a change.
        Measure("mrc_sum", "MRC sum", "points", True, 2, 0, 60, False, whole_numbers=True),
        Measure("rods", "RODS", "centile", True, 4, 0, 100, False),
        Measure("incat", "INCAT", "points", False, 1, 0, 10, False, whole_numbers=True),
        Measure("onls", "ONLS", "points", False, 1, 0, 12, False, whole_numbers=True),
        # The day of the cycle on which the patient felt the effect wane: a later day is
        # better. 84 days (12 weeks) is twice the longest default interval.
        Measure(
            "wear_off_day",
            "wear-off day",
            "day of cycle",
            True,
            None,
            0,
            84,
            False,
            whole_numbers=True,
        ),
    )
}

# Float sums like 48.3 - 40.3 must still reach an MCID of 8.
_EPSILON = 1e-9


def get_measure(measure: str | Measure) -> Measure:
    """Return the Measure for a code (or the Measure itself); ScoreError if unknown."""
    if isinstance(measure, Measure):
        return measure
    try:
        return MEASURES[measure]
    except (KeyError, TypeError):
        raise ScoreError("measure", f"unknown measure {measure!r}") from None


def validate_score(measure: str | Measure, side: str | None, value: float) -> None:
    """Raise ScoreError if this score cannot be recorded as given."""
    m = get_measure(measure)
    if m.needs_side and side not in SIDES:
        raise ScoreError("side", f"{m.label} needs a side: left or right")
    if not m.needs_side and side is not None:
        raise ScoreError("side", f"{m.label} has no side")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScoreError("value", "must be a number")
    if not m.min_value <= value <= m.max_value:
        raise ScoreError(
            "value", f"{m.label} must be between {m.min_value:g} and {m.max_value:g} {m.unit}"
        )
    if m.whole_numbers and not float(value).is_integer():
        raise ScoreError("value", f"{m.label} is a whole number")


def improvement(measure: str | Measure, before: float, after: float) -> float:
    """How much better `after` is than `before` (negative when worse), in the measure's unit."""
    m = get_measure(measure)
    return after - before if m.higher_is_better else before - after


def is_better(measure: str | Measure, a: float, b: float) -> bool:
    """True when score `a` is strictly better than score `b`."""
    return improvement(measure, b, a) > 0


def reaches_mcid(measure: str | Measure, difference: float) -> bool:
    """True when a difference (already signed as an improvement) is at least the MCID."""
    m = get_measure(measure)
    if m.mcid is None:
        return False
    return difference >= m.mcid - _EPSILON


# How the rules' texts mark evidence from what the patient recorded at home (a home series,
# a wear-off day reported through the diary): pages and the digest find it by this phrase.
AT_HOME = "at home"


def names_home_evidence(detail: str | None) -> bool:
    """True when a flag's detail quotes readings or reports the patient made at home."""
    return AT_HOME in (detail or "")


def series_label(measure: str | Measure, side: str | None, source: str | None = None) -> str:
    """Human name of a series, e.g. "right grip (Vigorimeter)", "MRC sum" or, for readings
    the patient took at home, "right grip (Vigorimeter) at home"."""
    m = get_measure(measure)
    label = f"{side} {m.label}" if side else m.label
    return f"{label} {AT_HOME}" if source == "home" else label
