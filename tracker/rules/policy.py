"""The site policy: every tunable number of the clinical rules, with its default.

An administrator changes these through the API; a patient may carry their own interval
bounds. Sources in the `source` metadata: G = guideline or product label, O = our own choice.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


class PolicyError(ValueError):
    """A policy value that makes no clinical or arithmetic sense."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _setting(default: Any, meaning: str, source: str) -> Any:
    return field(default=default, metadata={"meaning": meaning, "source": source})


@dataclass(frozen=True)
class SitePolicy:
    """Site-wide defaults for windows, dosing limits, wear-off detection and reviews."""

    min_interval_days: int = _setting(14, "shortest maintenance interval", "G")
    max_interval_days: int = _setting(42, "longest maintenance interval", "G")
    due_tolerance_days: int = _setting(3, "booking tolerance around the due date", "O")
    booking_lookahead_days: int = _setting(
        14, "start asking for a booking this long before the window opens", "O"
    )
    max_intensity_g_per_kg_28d: float = _setting(
        2.4, "dose intensity cap in g/kg per 28 days; above it needs an override reason", "G"
    )
    dose_rounding_g: float = _setting(5, "round a dose to the nearest multiple of this", "G")
    adjusted_weight_bmi: float = _setting(
        30, "BMI at or above which the adjusted weight is used", "G"
    )
    adjusted_weight_factor: float = _setting(0.4, "adjusted = IBW + factor x (actual - IBW)", "G")
    wear_off_cycles: int = _setting(2, "consecutive wear-off cycles for an end-of-dose flag", "O")
    reported_wear_off_margin_days: int = _setting(
        7, "a reported wear-off this many days or more before the next course counts", "O"
    )
    trough_window_days: int = _setting(
        3, "a pre-infusion score up to this many days before a course is its trough", "O"
    )
    taper_stable_days: int = _setting(180, "regimen unchanged this long before a taper", "O")
    taper_min_cycles: int = _setting(4, "evaluable stable cycles needed for a taper", "O")
    progressive_lookback_days: int = _setting(
        365, "how far back the reference trough is taken", "O"
    )
    step_interval_days: int = _setting(7, "interval change per recommendation", "O")
    escalate_factor: float = _setting(1.25, "dose multiplier per escalation", "O")
    taper_factor: float = _setting(0.75, "dose multiplier per taper at the longest interval", "O")
    first_review_days: int = _setting(182, "first review after the first course", "G")
    review_every_days: int = _setting(365, "later reviews", "G")
    review_warning_days: int = _setting(30, "flag a review this long before it is due", "O")
    weight_stale_days: int = _setting(180, "a weight older than this is stale", "O")
    reminder_days_before: int = _setting(3, "patient e-mail this long before a booked course", "O")
    notify_window_open: bool = _setting(
        True, "e-mail the patient when their booking window opens and nothing is booked", "O"
    )
    adjusted_weight_min_height_cm: float = _setting(
        152.4, "below this height (60 in) Devine's ideal weight is not used", "G"
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _coerce(f.name, f.type, getattr(self, f.name)))
        self.validate()

    def validate(self) -> None:
        """Raise PolicyError naming the first field that makes no sense."""
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                raise PolicyError(name, "must be greater than zero")
        for name in _NOT_NEGATIVE:
            if getattr(self, name) < 0:
                raise PolicyError(name, "must not be negative")
        if self.min_interval_days > self.max_interval_days:
            raise PolicyError(
                "min_interval_days",
                f"{self.min_interval_days} is longer than max_interval_days "
                f"{self.max_interval_days}",
            )
        # An escalation that does not raise the dose, or doubles it in one step, is not a step.
        if not 1 < self.escalate_factor <= 2:
            raise PolicyError("escalate_factor", "must be above 1 and at most 2")
        if not 0 < self.taper_factor < 1:
            raise PolicyError("taper_factor", "must be between 0 and 1 (exclusive)")
        if not 0 <= self.adjusted_weight_factor <= 1:
            raise PolicyError("adjusted_weight_factor", "must be between 0 and 1")
        if self.review_warning_days >= self.review_every_days:
            raise PolicyError("review_warning_days", "must be shorter than review_every_days")
        if self.review_warning_days >= self.first_review_days:
            raise PolicyError("review_warning_days", "must be shorter than first_review_days")
        # A course can only have a pre-infusion trough before it if the window fits in a cycle.
        if self.trough_window_days >= self.min_interval_days:
            raise PolicyError("trough_window_days", "must be shorter than min_interval_days")

    def to_dict(self) -> dict[str, Any]:
        """Return every setting as a plain JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SitePolicy:
        """Build a policy from a dict; missing keys keep their default, unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise PolicyError(str(key), "unknown policy key")
        return cls(**data)

    def with_patient_bounds(
        self, min_interval_days: int | None, max_interval_days: int | None
    ) -> SitePolicy:
        """Return a copy with a patient's own interval bounds in place of the site's."""
        changes: dict[str, int] = {}
        if min_interval_days is not None:
            changes["min_interval_days"] = min_interval_days
        if max_interval_days is not None:
            changes["max_interval_days"] = max_interval_days
        return replace(self, **changes) if changes else self

    @classmethod
    def describe(cls) -> dict[str, dict[str, Any]]:
        """Return each setting's default, meaning and source, for admin pages and docs."""
        return {
            f.name: {
                "default": f.default,
                "meaning": f.metadata["meaning"],
                "source": f.metadata["source"],
            }
            for f in fields(cls)
        }


_POSITIVE = (
    "min_interval_days",
    "max_interval_days",
    "max_intensity_g_per_kg_28d",
    "dose_rounding_g",
    "adjusted_weight_bmi",
    "wear_off_cycles",
    "taper_stable_days",
    "taper_min_cycles",
    "progressive_lookback_days",
    "step_interval_days",
    "first_review_days",
    "review_every_days",
    "weight_stale_days",
    "adjusted_weight_min_height_cm",
)

# Zero is a meaningful choice for these: e.g. no tolerance, no look-ahead, no warning.
_NOT_NEGATIVE = (
    "due_tolerance_days",
    "booking_lookahead_days",
    "reported_wear_off_margin_days",
    "trough_window_days",
    "review_warning_days",
    "reminder_days_before",
)


def _coerce(name: str, type_name: Any, value: Any) -> Any:
    # `from __future__ import annotations` leaves the field types as strings.
    if type_name == "bool":
        if not isinstance(value, bool):
            raise PolicyError(name, "must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(name, "must be a number")
    if not math.isfinite(value):
        raise PolicyError(name, "must be a finite number")
    if type_name == "int":
        # JSON clients may send 14.0; a fractional day count is refused.
        if isinstance(value, float) and not value.is_integer():
            raise PolicyError(name, "must be a whole number of days")
        return int(value)
    return float(value)
