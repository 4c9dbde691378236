"""Checks on a new regimen (the weight a dose is calculated on is in weights.py)."""

from __future__ import annotations

import math
from datetime import date

from tracker.rules.dosing import exceeds_intensity_cap, intensity_g_per_kg_28d
from tracker.rules.facts import RegimenFact
from tracker.rules.policy import SitePolicy
from tracker.rules.recommend import Recommendation
from tracker.rules.subcutaneous import sc_interval_error
from tracker.rules.vocabulary import Route


class RegimenError(ValueError):
    """A regimen that cannot be recorded as given; `field` names the offending value."""

    def __init__(self, field: str, message: str, *, overridable: bool = True) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.overridable = overridable  # False: no override reason allows it


def regimen_overrides_needed(
    *, dose_g_per_kg: float, interval_days: int, policy: SitePolicy, route: str = Route.IV
) -> tuple[RegimenError, ...]:
    """What a regimen breaks that only an override reason allows: the cap and, for IV, the
    interval bounds (an SC regimen's interval is 7 or 14 days, checked by check_regimen)."""
    needed = []
    if exceeds_intensity_cap(dose_g_per_kg, interval_days, policy):
        intensity = intensity_g_per_kg_28d(dose_g_per_kg, interval_days)
        needed.append(
            RegimenError(
                "dose_g_per_kg",
                f"{intensity:.2f} g/kg per 28 days is above the cap of "
                f"{policy.max_intensity_g_per_kg_28d:g}",
            )
        )
    if route != Route.SC and not (
        policy.min_interval_days <= interval_days <= policy.max_interval_days
    ):
        needed.append(
            RegimenError(
                "interval_days",
                f"{interval_days} days is outside {policy.min_interval_days} to "
                f"{policy.max_interval_days} days",
            )
        )
    return tuple(needed)


def check_regimen(
    *,
    dose_g_per_kg: float,
    interval_days: int,
    policy: SitePolicy,
    override_reason: str | None = None,
    route: str = Route.IV,
) -> None:
    """Raise RegimenError unless the regimen is sane and within limits or carries a reason.

    An SC regimen with an interval other than 7 or 14 days is refused whatever the reason
    (`RegimenError.overridable` False)."""
    if (
        isinstance(dose_g_per_kg, bool)
        or not isinstance(dose_g_per_kg, int | float)
        or not math.isfinite(dose_g_per_kg)
        or dose_g_per_kg <= 0
    ):
        raise RegimenError("dose_g_per_kg", "must be greater than zero")
    if isinstance(interval_days, bool) or not isinstance(interval_days, int) or interval_days < 1:
        raise RegimenError("interval_days", "must be a whole number of days, at least 1")
    if route == Route.SC and (problem := sc_interval_error(interval_days)) is not None:
        raise RegimenError("interval_days", problem, overridable=False)
    # Pass the policy with the patient's own bounds applied (SitePolicy.with_patient_bounds).
    needed = regimen_overrides_needed(
        dose_g_per_kg=dose_g_per_kg, interval_days=interval_days, policy=policy, route=route
    )
    if needed and not (override_reason and override_reason.strip()):
        raise needed[0]


def accepted_regimen(
    current: RegimenFact, recommendation: Recommendation, *, accepted_on: date, new_id: int = 0
) -> RegimenFact:
    """The regimen that accepting a recommendation records: proposed values, else current ones."""
    # max_dose_reached proposes nothing: accepting it records the same prescription anew,
    # which restarts the evaluation; dismissing it is usually what is meant.
    return RegimenFact(
        id=new_id,
        starts_on=accepted_on,
        dose_g_per_kg=(
            recommendation.proposed_dose_g_per_kg
            if recommendation.proposed_dose_g_per_kg is not None
            else current.dose_g_per_kg
        ),
        interval_days=(
            recommendation.proposed_interval_days
            if recommendation.proposed_interval_days is not None
            else current.interval_days
        ),
        route=current.route,
    )


def carried_override_reason(
    proposed: RegimenFact, *, current_override_reason: str | None, policy: SitePolicy
) -> str | None:
    """The override reason an accepted regimen keeps: the current one's, where the proposal
    is still outside the limits (the tracker never raises an action it would then refuse
    to record); else none. `policy` carries the patient's own bounds."""
    needed = regimen_overrides_needed(
        dose_g_per_kg=proposed.dose_g_per_kg,
        interval_days=proposed.interval_days,
        policy=policy,
        route=proposed.route,
    )
    return current_override_reason if needed else None
