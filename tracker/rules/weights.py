"""Body weights: the one that counts on a day, and the jump a person must confirm."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import Any, TypeVar, overload

from tracker.rules.units import WeightUnit, from_kg, to_kg
from tracker.rules.wording import date_text

W = TypeVar("W")

# Section 3: a new weight more than 10% away from the previous one is kept only when the user
# confirms it (lb typed as kg is the usual cause).
WEIGHT_CHANGE_LIMIT = 0.10


class WeightChangeError(ValueError):
    """A weight too far from the previous one to keep without a person's confirmation."""

    def __init__(self, change: WeightChange) -> None:
        super().__init__(f"weight_kg: {change.message}")
        self.field = "weight_kg"
        self.change = change
        self.message = change.message


def weight_stale_from(weighed_on: date, *, weight_stale_days: int) -> date:
    """The first day a weight is stale: "older than 180 days", so 180 days old is current."""
    return weighed_on + timedelta(days=weight_stale_days + 1)


def stale_weight_note(weighed_on: date, on: date, *, weight_stale_days: int) -> str | None:
    """What a dose calculated on `on` says about its weight when that weight is stale."""
    if on < weight_stale_from(weighed_on, weight_stale_days=weight_stale_days):
        return None
    age = (on - weighed_on).days
    return (
        f"dosed on a stale weight: measured {date_text(weighed_on)}, {age} days before, "
        f"more than {weight_stale_days}; weigh the patient"
    )


@overload
def latest_weight(weights: Iterable[tuple[date, float]], on: date) -> tuple[date, float] | None: ...


@overload
def latest_weight(
    weights: Iterable[W], on: date, *, measured_on: Callable[[W], date]
) -> W | None: ...


def latest_weight(
    weights: Iterable[Any], on: date, *, measured_on: Callable[[Any], date] = itemgetter(0)
) -> Any:
    """The weight that counts on day `on`: the latest measured on or before it, or None.

    `weights` come in the order they were recorded; of two measured on the same day the later
    record wins. Anything measured after `on` is ignored. Items are (measured_on, weight_kg)
    tuples unless `measured_on` says how to read an item's day.
    """
    found, found_on = None, None
    for weight in weights:
        day = measured_on(weight)
        if day <= on and (found_on is None or day >= found_on):
            found, found_on = weight, day
    return found


@dataclass(frozen=True)
class WeightChange:
    """A new weight against the previous one: how far it moved, and whether to confirm it."""

    weight_kg: float
    previous_kg: float
    previous_on: date

    @property
    def fraction(self) -> float:
        """|new - previous| / previous."""
        return abs(self.weight_kg - self.previous_kg) / self.previous_kg

    @property
    def needs_confirmation(self) -> bool:
        """True when the weight moved more than 10% (section 3)."""
        # Rounded so that 77 after 70 (exactly 10%) is not pushed over by float error.
        return round(self.fraction, 9) > WEIGHT_CHANGE_LIMIT

    @property
    def message(self) -> str:
        """What the person is asked to confirm, with the likely slip of units."""
        more = self.weight_kg > self.previous_kg
        percent = self.fraction * 100
        shown = f"{percent:.0f}" if percent >= 11 else f"{percent:.1f}"
        if more:
            # The figure typed was pounds: what it would be in kg.
            slip = (
                f"lb typed as kg is the usual cause ({_figure(self.weight_kg)} lb = "
                f"{_figure(to_kg(self.weight_kg, WeightUnit.LB))} kg)"
            )
        else:
            # The figure typed was kilograms entered as pounds.
            slip = (
                f"kg typed as lb is a common cause ({_figure(self.weight_kg)} kg = "
                f"{_figure(from_kg(self.weight_kg, WeightUnit.LB))} lb)"
            )
        return (
            f"{_figure(self.weight_kg)} kg is {shown}% {'more' if more else 'less'} than "
            f"{_figure(self.previous_kg)} kg on {date_text(self.previous_on)}; if this is "
            f"right, confirm the change (confirm_weight_change); {slip}"
        )


def weight_change(
    weights: Iterable[tuple[date, float]], *, measured_on: date, weight_kg: float
) -> WeightChange | None:
    """The new weight against the previous one (the latest on or before its day), or None.

    `weights` are the patient's recorded (measured_on, weight_kg) in the order recorded; a
    weight recorded earlier on the same day is the previous one.
    """
    previous = latest_weight(weights, measured_on)
    if previous is None:
        return None
    return WeightChange(weight_kg=weight_kg, previous_kg=previous[1], previous_on=previous[0])


def check_weight_change(
    weights: Iterable[tuple[date, float]],
    *,
    measured_on: date,
    weight_kg: float,
    confirmed: bool,
) -> WeightChange | None:
    """Raise WeightChangeError for a jump of more than 10% not confirmed; else the change."""
    change = weight_change(weights, measured_on=measured_on, weight_kg=weight_kg)
    if change is not None and change.needs_confirmation and not confirmed:
        raise WeightChangeError(change)
    return change


def _figure(kg: float) -> str:
    return f"{round(kg, 2):g}"
