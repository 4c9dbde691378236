"""The site policy: every tunable number of the clinical rules, with its default and range.

An administrator changes these through the API; a patient may carry their own interval
bounds. Sources in the `source` metadata: G = guideline or product label, L = published study,
O = our own choice.
Every setting has a range a clinic could mean (`range` metadata, shown by `describe()`): a
value outside it would switch a safeguard off (a cap of 1e300) or break the date arithmetic
(a 99,999,999-day interval), so it is refused with the range named.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from tracker.rules.units import HeightUnit, WeightUnit

# The Gammagard Liquid MMN label: 0.5 to 2.4 g/kg per month. A site cap above it needs a
# reason given with the change (`check_policy_change`).
LABEL_MAX_INTENSITY_G_PER_KG_28D = 2.4


class PolicyError(ValueError):
    """A policy value that makes no clinical or arithmetic sense."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Range:
    """The values a setting may take: low to high, either end possibly excluded."""

    low: float
    high: float
    unit: str = ""
    low_open: bool = False  # "above low" rather than "from low"
    high_open: bool = False  # "below high" rather than "to high"

    def holds(self, value: float) -> bool:
        """True when `value` lies in the range."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if not (self.low_open or self.high_open):
            return f"{self.low:g} to {self.high:g}{unit}"
        low = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
        high = f"below {self.high:g}" if self.high_open else f"at most {self.high:g}"
        return f"{low} and {high}{unit}"


# A patient's own interval bounds (set by their neurologist) may go beyond the site's range:
# weekly infusions, or a long interval in near-remission.
PATIENT_INTERVAL_DAYS = Range(7, 120, "days")


def _setting(default: Any, meaning: str, source: str, allowed: Range | tuple[str, ...]) -> Any:
    key = "range" if isinstance(allowed, Range) else "choices"
    return field(default=default, metadata={"meaning": meaning, "source": source, key: allowed})


def _days(low: int, high: int) -> Range:
    return Range(low, high, "days")


@dataclass(frozen=True)
class SitePolicy:
    """Site-wide defaults for windows, dosing limits, wear-off detection and reviews."""

    # Weekly (the Utrecht cohort's shortest) to 6-weekly (the guideline's longest).
    min_interval_days: int = _setting(14, "shortest maintenance interval", "G", _days(7, 42))
    # Fortnightly to 12-weekly: 7-weekly was the longest seen; beyond it needs an override.
    max_interval_days: int = _setting(42, "longest maintenance interval", "G", _days(14, 84))
    due_tolerance_days: int = _setting(3, "booking tolerance around the due date", "O", _days(0, 7))
    booking_lookahead_days: int = _setting(
        14, "start asking for a booking this long before the window opens", "O", _days(0, 60)
    )
    # Above the label's 2.4 only with a reason given with the change; twice the label at most.
    max_intensity_g_per_kg_28d: float = _setting(
        2.4,
        "dose intensity cap in g/kg per 28 days; above it needs an override reason",
        "G",
        Range(0.5, 4.8, "g/kg per 28 days"),
    )
    dose_rounding_g: float = _setting(
        5, "round a dose to the nearest multiple of this", "G", Range(0.5, 10, "g")
    )
    adjusted_weight_bmi: float = _setting(
        30, "BMI at or above which the adjusted weight is used", "G", Range(25, 40, "kg/m2")
    )
    adjusted_weight_factor: float = _setting(
        0.4, "adjusted = IBW + factor x (actual - IBW)", "G", Range(0, 1)
    )
    wear_off_cycles: int = _setting(
        2, "consecutive wear-off cycles for an end-of-dose flag", "O", Range(1, 6, "cycles")
    )
    reported_wear_off_margin_days: int = _setting(
        7,
        "a reported wear-off this many days or more before the next course counts",
        "O",
        _days(0, 14),
    )
    trough_window_days: int = _setting(
        3,
        "a pre-infusion score up to this many days before a course is its trough",
        "O",
        _days(0, 7),
    )
    taper_stable_days: int = _setting(
        180, "regimen unchanged this long before a taper", "O", _days(90, 730)
    )
    taper_min_cycles: int = _setting(
        4, "evaluable stable cycles needed for a taper", "O", Range(1, 12, "cycles")
    )
    progressive_lookback_days: int = _setting(
        365, "how far back the reference trough is taken", "O", _days(90, 730)
    )
    step_interval_days: int = _setting(7, "interval change per recommendation", "O", _days(1, 14))
    escalate_factor: float = _setting(
        1.25, "dose multiplier per escalation", "O", Range(1, 2, low_open=True)
    )
    # At most a halving per step: remission off treatment is uncommon, tapers are cautious.
    taper_factor: float = _setting(
        0.75,
        "dose multiplier per taper at the longest interval",
        "O",
        Range(0.5, 1, high_open=True),
    )
    first_review_days: int = _setting(
        182, "first review after the first course", "G", _days(90, 365)
    )
    # The guidelines ask for a review at least every 12 months.
    review_every_days: int = _setting(365, "later reviews", "G", _days(90, 365))
    review_warning_days: int = _setting(
        30, "flag a review this long before it is due", "O", _days(0, 89)
    )
    weight_stale_days: int = _setting(180, "a weight older than this is stale", "O", _days(30, 365))
    reminder_days_before: int = _setting(
        3, "patient e-mail this long before a booked course", "O", _days(0, 14)
    )
    notify_window_open: bool = _setting(
        True,
        "e-mail the patient when their booking window opens and nothing is booked",
        "O",
        ("true", "false"),
    )
    # Funding authorisations (section 8).
    authorization_notice_days: int = _setting(
        30,
        "flag an authorisation this long before it ends or is projected to run out",
        "O",
        _days(0, 180),
    )
    authorizations_required: bool = _setting(
        False,
        "book and give courses only within a funding authorisation (else 409 unless "
        "overridden with a reason), and flag a next course that none covers",
        "O",
        ("true", "false"),
    )
    # Sites of care (section 9): a home visit holds its nurse this long beyond the course.
    home_visit_buffer_minutes: int = _setting(
        30,
        "a home visit holds its nurse for the course's planned minutes plus this, for set-up "
        "and observation",
        "O",
        Range(0, 240, "minutes"),
    )
    # Subcutaneous immunoglobulin (section 9).
    sc_conversion_factor: float = _setting(
        1.0,
        "SC dose = IV dose x (SC interval / IV interval) x this factor when converting",
        "L",
        Range(0.5, 2),
    )
    sc_dose_rounding_g: float = _setting(
        1, "round an SC dose to the nearest multiple of this", "O", Range(0.5, 10, "g")
    )
    sc_tolerance_days: int = _setting(
        1, "booking tolerance around the due date of an SC course", "O", _days(0, 3)
    )
    adjusted_weight_min_height_cm: float = _setting(
        152.4,
        "below this height (60 in) Devine's ideal weight is not used",
        "G",
        Range(140, 170, "cm"),
    )
    weight_unit: str = _setting(
        "kg",
        "the unit pages show weights in and forms offer first",
        "O",
        tuple(u.value for u in WeightUnit),
    )
    height_unit: str = _setting(
        "cm",
        "the unit pages show heights in and forms offer first",
        "O",
        tuple(u.value for u in HeightUnit),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _coerce(f, getattr(self, f.name)))
        self.validate()

    def validate(self) -> None:
        """Raise PolicyError naming the first setting outside its range or at odds with another."""
        for f in fields(self):
            allowed = f.metadata.get("range")
            value = getattr(self, f.name)
            if allowed is not None and not allowed.holds(value):
                raise PolicyError(f.name, f"{f.name} must be {allowed} ({_shown(value)} given)")
        self._check_relations()

    def _check_relations(self) -> None:
        if self.min_interval_days > self.max_interval_days:
            raise PolicyError(
                "min_interval_days",
                f"{self.min_interval_days} is longer than max_interval_days "
                f"{self.max_interval_days}",
            )
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
        """Return a copy with a patient's own interval bounds in place of the site's.

        The bounds are checked against PATIENT_INTERVAL_DAYS, not the site's ranges: the
        neurologist may allow one patient what the site does not allow everyone.
        """
        changes: dict[str, int] = {}
        if min_interval_days is not None:
            changes["min_interval_days"] = min_interval_days
        if max_interval_days is not None:
            changes["max_interval_days"] = max_interval_days
        if not changes:
            return self
        own = copy.copy(self)  # a copy that skips __post_init__ and so the site's ranges
        for name, value in changes.items():
            days = _coerce(_FIELDS[name], value)
            if not PATIENT_INTERVAL_DAYS.holds(days):
                raise PolicyError(
                    name,
                    f"a patient's own {name} must be "
                    f"{PATIENT_INTERVAL_DAYS} ({_shown(days)} given)",
                )
            object.__setattr__(own, name, days)
        own._check_relations()
        return own

    def for_route(self, route: str) -> SitePolicy:
        """The policy a regimen of this route is dosed under: for SC, doses are rounded to
        `sc_dose_rounding_g` instead of `dose_rounding_g` (section 9)."""
        if route != "sc":
            return self
        own = copy.copy(self)  # as with_patient_bounds: keeps a patient's own bounds
        object.__setattr__(own, "dose_rounding_g", self.sc_dose_rounding_g)
        return own

    @classmethod
    def describe(cls) -> dict[str, dict[str, Any]]:
        """Return each setting's default, meaning, source and range, for admin pages and docs."""
        described = {}
        for f in fields(cls):
            allowed = f.metadata.get("range")
            described[f.name] = {
                "default": f.default,
                "meaning": f.metadata["meaning"],
                "source": f.metadata["source"],
                "range": str(allowed) if allowed else " or ".join(f.metadata["choices"]),
                "min": allowed.low if allowed else None,
                "max": allowed.high if allowed else None,
                "choices": list(f.metadata.get("choices", ())) or None,
            }
        return described


_FIELDS = {f.name: f for f in fields(SitePolicy)}


def check_policy_change(current: SitePolicy, updated: SitePolicy, *, reason: str | None) -> None:
    """Refuse a change that sets the intensity cap above the label's 2.4 without a reason."""
    cap = updated.max_intensity_g_per_kg_28d
    if (
        cap > LABEL_MAX_INTENSITY_G_PER_KG_28D
        and cap != current.max_intensity_g_per_kg_28d
        and not (reason and reason.strip())
    ):
        raise PolicyError(
            "max_intensity_g_per_kg_28d",
            f"{cap:g} g/kg per 28 days is above the label's {LABEL_MAX_INTENSITY_G_PER_KG_28D:g}: "
            'add a "reason" to the change to set the cap above it',
        )


def changed_settings(current: SitePolicy, updated: SitePolicy) -> set[str]:
    """The names of the settings whose values differ."""
    return {
        f.name for f in fields(SitePolicy) if getattr(current, f.name) != getattr(updated, f.name)
    }


# Settings that change only how pages show things: changing them re-evaluates nobody.
DISPLAY_SETTINGS = frozenset({"weight_unit", "height_unit"})
# Settings no evaluation reads (bookings read them when made): changing them re-evaluates
# nobody either.
BOOKING_SETTINGS = frozenset({"home_visit_buffer_minutes"})


def _shown(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _coerce(f: Any, value: Any) -> Any:
    # `from __future__ import annotations` leaves the field types as strings.
    name, type_name = f.name, f.type
    if type_name == "bool":
        if not isinstance(value, bool):
            raise PolicyError(name, "must be true or false")
        return value
    if type_name == "str":
        choices = f.metadata["choices"]
        if not isinstance(value, str) or value not in choices:
            raise PolicyError(name, f"{name} must be one of {', '.join(choices)}")
        return str(value)
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
