"""Dose calculation: dosing weight, rounding, vials, intensity and chair time."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.rules.policy import SitePolicy
from tracker.rules.vocabulary import WeightBasis, codes

CM_PER_INCH = 2.54
# Devine: base weight at 60 inches (152.4 cm), plus 2.3 kg per inch above.
_DEVINE_BASE_KG = {"male": 50.0, "female": 45.5}
_DEVINE_KG_PER_INCH = 2.3
_DEVINE_BASE_INCHES = 60
WEIGHT_BASES = codes(WeightBasis)
# Products are sized in tenths of a gram at the finest (2.5 g vials).
_TENTHS = 10
# A rate above this (mL/kg/min, i.e. 15 mL/kg/h) is three times any IVIG label maximum:
# almost surely a per-hour figure passed as per-minute.
_IMPLAUSIBLE_RATE_ML_PER_KG_PER_MIN = 0.25


class DosingError(ValueError):
    """An input the dose calculation cannot use; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DosingWeight:
    """The weight a dose is calculated on, and why that one."""

    kg: float  # to 2 decimals, as shown
    basis_used: str  # "actual" or "adjusted"
    ideal_body_weight_kg: float | None
    bmi: float | None
    note: str
    exact_kg: float = 0.0  # never rounded: what the dose is multiplied by

    def __post_init__(self) -> None:
        if not self.exact_kg:
            object.__setattr__(self, "exact_kg", float(self.kg))


@dataclass(frozen=True)
class DoseCalculation:
    """A course dose, rounded as the pharmacy prepares it."""

    dosing_weight_kg: float
    weight_basis_used: str
    ideal_body_weight_kg: float | None
    bmi: float | None
    dose_g: float
    dose_g_per_day: float
    note: str


@dataclass(frozen=True)
class VialCount:
    """How many vials of one size."""

    size_g: float
    count: int


@dataclass(frozen=True)
class VialPlan:
    """The vials to prepare for one dose, largest size first."""

    vials: tuple[VialCount, ...]
    total_g: float
    waste_g: float

    @property
    def vial_count(self) -> int:
        """Total number of vials in the plan."""
        return sum(v.count for v in self.vials)


def ideal_body_weight_kg(sex: str, height_cm: float) -> float:
    """Devine ideal body weight in kg for "male" or "female"."""
    if sex not in _DEVINE_BASE_KG:
        raise DosingError("sex", "must be 'female' or 'male'")
    _require_positive("height_cm", height_cm)
    inches = height_cm / CM_PER_INCH
    return _DEVINE_BASE_KG[sex] + _DEVINE_KG_PER_INCH * (inches - _DEVINE_BASE_INCHES)


def body_mass_index(weight_kg: float, height_cm: float) -> float:
    """Body mass index in kg/m2."""
    _require_positive("weight_kg", weight_kg)
    _require_positive("height_cm", height_cm)
    return weight_kg / (height_cm / 100) ** 2


def dosing_weight(
    *,
    sex: str | None,
    height_cm: float | None,
    weight_kg: float,
    basis: str = "auto",
    policy: SitePolicy,
) -> DosingWeight:
    """Choose the actual or adjusted weight as section 3 of the clinical rules says."""
    _require_positive("weight_kg", weight_kg)
    if basis not in WEIGHT_BASES:
        raise DosingError("basis", f"must be one of {', '.join(WEIGHT_BASES)}")
    if sex is not None and sex not in _DEVINE_BASE_KG:
        raise DosingError("sex", "must be 'female', 'male' or missing")
    if height_cm is not None:
        _require_positive("height_cm", height_cm)

    def actual(note: str, ibw: float | None = None, bmi: float | None = None) -> DosingWeight:
        shown_bmi = None if bmi is None else _bmi_shown(bmi)
        return DosingWeight(
            _r2(weight_kg), "actual", _r2_or_none(ibw), shown_bmi, note, float(weight_kg)
        )

    if height_cm is None or sex is None:
        missing = "height" if height_cm is None else "sex"
        bmi = body_mass_index(weight_kg, height_cm) if height_cm is not None else None
        if basis == "actual":
            return actual(f"actual weight, as the regimen asks (no {missing} recorded)", bmi=bmi)
        asked = "the regimen asks for the adjusted weight, but " if basis == "adjusted" else ""
        return actual(
            f"actual weight: {asked}no {missing} is recorded, so the ideal and adjusted "
            "weights cannot be calculated",
            bmi=bmi,
        )

    ibw = ideal_body_weight_kg(sex, height_cm)
    bmi = body_mass_index(weight_kg, height_cm)
    if basis == "actual":
        return actual("actual weight, as the regimen asks", ibw, bmi)
    if weight_kg <= ibw or ibw <= 0:
        # An adjusted weight would be above the actual weight: never dose on more than the
        # patient weighs, even when the regimen asks for the adjusted weight.
        return actual(
            f"actual weight: {_fmt(weight_kg)} kg is not above the ideal weight "
            f"{_fmt(_r2(ibw))} kg",
            ibw,
            bmi,
        )
    if basis == "auto":
        if bmi < policy.adjusted_weight_bmi:
            return actual(
                f"actual weight: BMI {_fmt(_bmi_text(bmi, policy))} is under "
                f"{_fmt(policy.adjusted_weight_bmi)}",
                ibw,
                bmi,
            )
        if height_cm < policy.adjusted_weight_min_height_cm:
            return actual(
                f"actual weight: height {_fmt(height_cm)} cm is under "
                f"{_fmt(policy.adjusted_weight_min_height_cm)} cm, where the ideal weight "
                "formula is not reliable",
                ibw,
                bmi,
            )
    adjusted_kg = ibw + policy.adjusted_weight_factor * (weight_kg - ibw)
    if basis == "adjusted":
        why = "as the regimen asks"
        if height_cm < policy.adjusted_weight_min_height_cm:
            why += (
                "; the ideal weight is less reliable under "
                f"{_fmt(policy.adjusted_weight_min_height_cm)} cm"
            )
    else:
        why = f"BMI {_fmt(_bmi_shown(bmi))} is {_fmt(policy.adjusted_weight_bmi)} or more"
    return DosingWeight(
        _r2(adjusted_kg),
        "adjusted",
        _r2(ibw),
        _bmi_shown(bmi),
        f"adjusted weight ({why}): ideal {_fmt(_r2(ibw))} kg + "
        f"{_fmt(policy.adjusted_weight_factor)} x ({_fmt(weight_kg)} - {_fmt(_r2(ibw))}) kg",
        adjusted_kg,
    )


def round_dose_g(dose: float, step: float = 5) -> float:
    """Round a dose in grams to the nearest multiple of `step`, halves up, at least one step."""
    _require_positive("step", step)
    if isinstance(dose, bool) or not isinstance(dose, int | float) or not math.isfinite(dose):
        raise DosingError("dose", "must be a finite number")
    if dose < 0:
        raise DosingError("dose", "must not be negative")
    # Round the quotient to 9 places first so that 72.49999999999999 (a float artefact of
    # 72.5) rounds up, while a genuine 82.4999999 still rounds down.
    steps = math.floor(round(dose / step, 9) + 0.5)
    return _tidy(max(steps, 1) * step)


def calculate_dose(
    *,
    sex: str | None,
    height_cm: float | None,
    weight_kg: float,
    dose_g_per_kg: float,
    days_per_course: int = 1,
    basis: str = "auto",
    policy: SitePolicy,
) -> DoseCalculation:
    """Calculate a course dose in grams from the prescription in g/kg."""
    _require_positive("dose_g_per_kg", dose_g_per_kg)
    if isinstance(days_per_course, bool) or not isinstance(days_per_course, int):
        raise DosingError("days_per_course", "must be a whole number of days")
    if days_per_course < 1:
        raise DosingError("days_per_course", "must be at least 1")
    weight = dosing_weight(
        sex=sex, height_cm=height_cm, weight_kg=weight_kg, basis=basis, policy=policy
    )
    # The dosing weight is shown to 2 decimals but never rounded before it is multiplied:
    # 2.0 g/kg x 73.7457 kg is 147.49 g, 145 g; on the shown 73.75 kg it would be 150 g.
    dose_g = round_dose_g(dose_g_per_kg * weight.exact_kg, policy.dose_rounding_g)
    return DoseCalculation(
        dosing_weight_kg=weight.kg,
        weight_basis_used=weight.basis_used,
        ideal_body_weight_kg=weight.ideal_body_weight_kg,
        bmi=weight.bmi,
        dose_g=dose_g,
        dose_g_per_day=_r2(dose_g / days_per_course),
        note=weight.note,
    )


def vial_plan(dose_g: float, vial_sizes_g: Iterable[float]) -> VialPlan:
    """Fewest vials summing exactly to the dose, else the smallest total above it."""
    _require_positive("dose_g", dose_g)
    sizes = sorted({_to_tenths("vial_sizes_g", s) for s in vial_sizes_g}, reverse=True)
    if not sizes:
        raise DosingError("vial_sizes_g", "needs at least one vial size")
    # A dose like 69.43 g cannot be met in tenths exactly; the next tenth up covers it.
    target = math.ceil(round(dose_g * _TENTHS, 6))
    # The smallest size alone reaches at most one vial past the target, so totals beyond
    # target + smallest size can never be the smallest total at or above the dose.
    limit = target + sizes[-1]
    unreachable = limit + 1
    fewest = [0] + [unreachable] * limit
    last_size = [0] * (limit + 1)
    for total in range(1, limit + 1):
        for size in sizes:  # largest first: on a tie the larger vial is kept
            if size <= total and fewest[total - size] + 1 < fewest[total]:
                fewest[total] = fewest[total - size] + 1
                last_size[total] = size
    best = next(t for t in range(target, limit + 1) if fewest[t] < unreachable)
    counts: dict[int, int] = {}
    total = best
    while total:
        counts[last_size[total]] = counts.get(last_size[total], 0) + 1
        total -= last_size[total]
    vials = tuple(VialCount(_tidy(s / _TENTHS), counts[s]) for s in sorted(counts, reverse=True))
    total_g = _tidy(best / _TENTHS)
    return VialPlan(vials, total_g, _tidy(round(total_g - dose_g, 2)))


def intensity_g_per_kg_28d(dose_g_per_kg: float, interval_days: int) -> float:
    """Dose intensity in g/kg per 28 days."""
    _require_positive("interval_days", interval_days)
    return dose_g_per_kg * 28 / interval_days


def max_dose_g_per_kg(interval_days: int, policy: SitePolicy) -> float:
    """The highest g/kg per course that keeps this interval within the intensity cap."""
    _require_positive("interval_days", interval_days)
    return policy.max_intensity_g_per_kg_28d * interval_days / 28


def exceeds_intensity_cap(dose_g_per_kg: float, interval_days: int, policy: SitePolicy) -> bool:
    """True when the regimen is above the cap (and so needs an override reason)."""
    # The tolerance keeps 0.6 g/kg every 7 days (2.4 exactly, in decimal) within the cap.
    intensity = intensity_g_per_kg_28d(dose_g_per_kg, interval_days)
    return intensity > policy.max_intensity_g_per_kg_28d + 1e-9


def estimated_chair_minutes(
    *,
    dose_g: float,
    weight_kg: float,
    concentration_percent: float,
    max_rate_ml_per_kg_per_min: float,
    start_rate_ml_per_kg_per_min: float = 0.5 / 60,
    step_minutes: int = 30,
    setup_minutes: int = 30,
) -> int:
    """Estimate whole minutes in the chair: a doubling rate ramp plus setup and observation."""
    for name, value in (
        ("dose_g", dose_g),
        ("weight_kg", weight_kg),
        ("concentration_percent", concentration_percent),
        ("max_rate_ml_per_kg_per_min", max_rate_ml_per_kg_per_min),
        ("start_rate_ml_per_kg_per_min", start_rate_ml_per_kg_per_min),
        ("step_minutes", step_minutes),
    ):
        _require_positive(name, value)
    for name, value in (
        ("max_rate_ml_per_kg_per_min", max_rate_ml_per_kg_per_min),
        ("start_rate_ml_per_kg_per_min", start_rate_ml_per_kg_per_min),
    ):
        if value > _IMPLAUSIBLE_RATE_ML_PER_KG_PER_MIN:
            raise DosingError(name, "implausibly fast: is this a rate per hour?")
    if concentration_percent > 100:
        raise DosingError("concentration_percent", "must be at most 100")
    if setup_minutes < 0:
        raise DosingError("setup_minutes", "must not be negative")
    volume_ml = dose_g * 100 / concentration_percent
    max_ml_per_min = max_rate_ml_per_kg_per_min * weight_kg
    ml_per_min = min(start_rate_ml_per_kg_per_min * weight_kg, max_ml_per_min)
    minutes = 0.0
    left_ml = volume_ml
    while left_ml > 0:
        if ml_per_min >= max_ml_per_min:
            minutes += left_ml / ml_per_min
            break
        step_ml = ml_per_min * step_minutes
        if step_ml >= left_ml:
            minutes += left_ml / ml_per_min
            break
        minutes += step_minutes
        left_ml -= step_ml
        ml_per_min = min(ml_per_min * 2, max_ml_per_min)
    return math.ceil(round(minutes, 6)) + setup_minutes


def _require_positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DosingError(name, "must be a number")
    if not math.isfinite(value) or value <= 0:
        raise DosingError(name, "must be greater than zero")


def _to_tenths(name: str, size_g: float) -> int:
    _require_positive(name, size_g)
    tenths = round(size_g * _TENTHS)
    if tenths == 0 or abs(tenths - size_g * _TENTHS) > 1e-6:
        raise DosingError(name, f"{size_g} g is not a whole number of tenths of a gram")
    return tenths


def _r2(value: float) -> float:
    return round(value + 0.0, 2)


def _bmi_shown(bmi: float) -> float:
    # BMI is read to one decimal in clinic; the threshold itself compares the unrounded value.
    return round(bmi, 1)


def _bmi_text(bmi: float, policy: SitePolicy) -> float:
    # 29.96 must not read "BMI 30 is under 30": below the threshold, cut instead of rounding.
    shown = _bmi_shown(bmi)
    return math.floor(bmi * 10) / 10 if shown >= policy.adjusted_weight_bmi else shown


def _r2_or_none(value: float | None) -> float | None:
    return None if value is None else _r2(value)


def _tidy(value: float) -> float:
    # Removes float dust such as 2.5 * 3 = 7.500000000000001 from displayed totals.
    return float(round(value, 6))


def _fmt(value: float) -> str:
    return f"{value:g}"
