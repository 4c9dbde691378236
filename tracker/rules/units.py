"""Weights and heights typed in kg or lb, cm or in: stored in kg and cm, shown in the site unit."""

from __future__ import annotations

import math
from enum import StrEnum

# Exact by definition (the international yard and pound agreement, 1959).
KG_PER_LB = 0.45359237
CM_PER_INCH = 2.54


class WeightUnit(StrEnum):
    """The units a weight may be typed or shown in."""

    KG = "kg"
    LB = "lb"


class HeightUnit(StrEnum):
    """The units a height may be typed or shown in."""

    CM = "cm"
    IN = "in"


class UnitError(ValueError):
    """A value or unit that cannot be converted; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def to_kg(value: float, unit: str) -> float:
    """A weight typed in `unit` (kg or lb) as kg."""
    return _finite(value, "weight") * _kg_per(unit)


def from_kg(kg: float, unit: str) -> float:
    """A weight in kg expressed in `unit` (kg or lb)."""
    return _finite(kg, "weight") / _kg_per(unit)


def to_cm(value: float, unit: str) -> float:
    """A height typed in `unit` (cm or in) as cm."""
    return _finite(value, "height") * _cm_per(unit)


def from_cm(cm: float, unit: str) -> float:
    """A height in cm expressed in `unit` (cm or in)."""
    return _finite(cm, "height") / _cm_per(unit)


def weight_text(kg: float, unit: str = WeightUnit.KG) -> str:
    """A weight as shown: "70.5 kg", "155.4 lb" (to 0.1, trailing zeros dropped)."""
    return f"{_tenths(from_kg(kg, unit))} {WeightUnit(unit).value}"


def height_text(cm: float, unit: str = HeightUnit.CM) -> str:
    """A height as shown: "165 cm", "65 in" (to 0.1, trailing zeros dropped)."""
    return f"{_tenths(from_cm(cm, unit))} {HeightUnit(unit).value}"


def typed_number(value: float) -> str:
    """A converted figure to put back in a form field (to 0.01, trailing zeros dropped)."""
    return f"{round(value, 2):g}"


def _kg_per(unit: str) -> float:
    if unit == WeightUnit.KG:
        return 1.0
    if unit == WeightUnit.LB:
        return KG_PER_LB
    raise UnitError("weight_unit", "must be kg or lb")


def _cm_per(unit: str) -> float:
    if unit == HeightUnit.CM:
        return 1.0
    if unit == HeightUnit.IN:
        return CM_PER_INCH
    raise UnitError("height_unit", "must be cm or in")


def _finite(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UnitError(field, "must be a finite number")
    return float(value)


def _tenths(value: float) -> str:
    # Half up, as a pharmacist reads a scale; `round` would take 70.25 to 70.2.
    return f"{math.floor(value * 10 + 0.5 + 1e-9) / 10:g}"
