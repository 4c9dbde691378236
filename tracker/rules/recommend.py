"""The one recommended action for the current regimen (section 6 of the clinical rules)."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from tracker.rules.dosing import exceeds_intensity_cap, intensity_g_per_kg_28d, max_dose_g_per_kg
from tracker.rules.facts import RegimenFact
from tracker.rules.policy import SitePolicy
from tracker.rules.response import ResponseAssessment, ResponseSummary
from tracker.rules.subcutaneous import SC_INTERVAL_DAYS
from tracker.rules.vocabulary import Action, codes
from tracker.rules.wording import date_text

# The recommendation reads the same things from the full assessment and from the sweep's
# summary: the waning found, its descriptions and the taper evidence.
Response = ResponseAssessment | ResponseSummary

ESCALATE_DOSE = Action.ESCALATE_DOSE
SHORTEN_INTERVAL = Action.SHORTEN_INTERVAL
MAX_DOSE_REACHED = Action.MAX_DOSE_REACHED
CONSIDER_TAPER = Action.CONSIDER_TAPER
CONSIDER_TRIAL_OFF = Action.CONSIDER_TRIAL_OFF
ACTIONS = codes(Action)
# The label's lowest maintenance intensity (Gammagard Liquid, MMN: 0.5 to 2.4 g/kg a month):
# a taper below it is no longer a dose step but a trial off treatment.
LABEL_MIN_INTENSITY_G_PER_KG_28D = 0.5

# Comparisons of g/kg values tolerate float dust (1.7142857 vs 1.71428570000001).
_EPSILON = 1e-9


@dataclass(frozen=True)
class Recommendation:
    """A proposed change; a field that is not proposed is None (keep the current value)."""

    action: str
    proposed_interval_days: int | None
    proposed_dose_g_per_kg: float | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        """The contract's JSON shape."""
        return {
            "action": self.action,
            "proposed_interval_days": self.proposed_interval_days,
            "proposed_dose_g_per_kg": self.proposed_dose_g_per_kg,
            "reason": self.reason,
        }


def escalated_dose_g_per_kg(
    dose_g_per_kg: float, interval_days: int, policy: SitePolicy
) -> float | None:
    """The next dose step, capped, to 2 decimals; None when no higher dose fits under the cap."""
    cap = max_dose_g_per_kg(interval_days, policy)
    if dose_g_per_kg >= cap - _EPSILON:
        return None
    proposed = _round2(min(dose_g_per_kg * policy.escalate_factor, cap))
    if proposed > cap + _EPSILON:
        # Rounding may lift a capped dose over the cap (1.6286 -> 1.63 at 19 days): round down.
        proposed = math.floor(cap * 100 + _EPSILON) / 100
    if proposed <= dose_g_per_kg + _EPSILON:
        return None  # the cap, to 2 decimals, is the dose already given
    return proposed


def recommend(
    *,
    regimen: RegimenFact,
    response: Response,
    on: date,
    policy: SitePolicy,
    dismissed: Collection[tuple[int, str]] = frozenset(),
) -> Recommendation | None:
    """The single recommended action, or None; a dismissed action is not raised again."""
    recommendation = _choose(regimen, response, on, policy)
    # Dismissal silences this action for this regimen only; it does not go looking for a
    # second-best action, since the person who dismissed it has seen the evidence.
    if recommendation is None or (regimen.id, recommendation.action) in dismissed:
        return None
    return recommendation


def taper_evidence(
    *, regimen: RegimenFact, response: Response, on: date, policy: SitePolicy
) -> int | None:
    """The number of stable cycles with data when a taper may be suggested, else None."""
    if (on - regimen.starts_on).days < policy.taper_stable_days:
        return None
    # Only the counting cycles that ended within the stable period must be free of wear-off.
    if response.recent_wear_off:
        return None
    with_data = response.counting_with_data
    return with_data if with_data >= policy.taper_min_cycles else None


def _choose(
    regimen: RegimenFact, response: Response, on: date, policy: SitePolicy
) -> Recommendation | None:
    dose, interval = regimen.dose_g_per_kg, regimen.interval_days
    if response.progressive:
        return _escalate_or_max(
            regimen, policy, f"Progressive waning: {response.describe_progressive()}.", ""
        )
    if response.end_of_dose:
        evidence = f"End-of-dose wear-off: {response.describe_end_of_dose()}."
        shorter = _shorter_interval(regimen, policy)
        if shorter is None:
            why_not = (
                f"An SC regimen is given every {' or '.join(map(str, SC_INTERVAL_DAYS))} days: "
                f"none is shorter than {interval}."
            )
        elif shorter < policy.min_interval_days and not regimen.subcutaneous:
            why_not = (
                f"Shortening to {shorter} days would go below the shortest interval of "
                f"{policy.min_interval_days} days."
            )
        elif exceeds_intensity_cap(dose, shorter, policy):
            why_not = (
                f"Shortening to {shorter} days would give "
                f"{_g(intensity_g_per_kg_28d(dose, shorter))} g/kg per 28 days, above the cap of "
                f"{_g(policy.max_intensity_g_per_kg_28d)}."
            )
        else:
            return Recommendation(
                SHORTEN_INTERVAL,
                shorter,
                None,
                f"{evidence} Shorten the interval from {interval} to {shorter} days at "
                f"{_g(dose)} g/kg ({_g(intensity_g_per_kg_28d(dose, shorter))} g/kg per 28 days).",
            )
        return _escalate_or_max(regimen, policy, evidence, why_not)
    stable_cycles = taper_evidence(regimen=regimen, response=response, on=on, policy=policy)
    if stable_cycles is None:
        return None
    evidence = (
        f"Stable: {stable_cycles} cycles with data and no wear-off since this regimen started "
        f"on {date_text(regimen.starts_on)}."
    )
    longer = _longer_interval(regimen, policy)
    if longer is not None:
        return Recommendation(
            CONSIDER_TAPER,
            longer,
            None,
            f"{evidence} Consider lengthening the interval from {interval} to {longer} days.",
        )
    lower = _round2(dose * policy.taper_factor)
    if intensity_g_per_kg_28d(lower, interval) < LABEL_MIN_INTENSITY_G_PER_KG_28D - _EPSILON:
        return Recommendation(
            CONSIDER_TRIAL_OFF,
            None,
            None,
            f"{evidence} {_cannot_grow(regimen, policy)}, and {_g(lower)} g/kg would be "
            f"{_g(intensity_g_per_kg_28d(lower, interval))} g/kg per 28 days, under the "
            f"label's lowest of {_g(LABEL_MIN_INTENSITY_G_PER_KG_28D)}; consider a supervised "
            "trial off treatment (about a fifth of patients stay in remission).",
        )
    return Recommendation(
        CONSIDER_TAPER,
        None,
        lower,
        f"{evidence} {_cannot_grow(regimen, policy)}; consider lowering the dose from "
        f"{_g(dose)} to {_g(lower)} g/kg.",
    )


# An SC regimen is given every 7 or 14 days, nothing else (clinical rules 9), and the regimen
# API refuses any other SC interval with 422: an interval step of the IV rules (14 -> 21 for a
# taper, 7 -> 0 for a shortening) would be a proposal the tracker then refuses to record. So
# under SC an interval step moves to the neighbouring SC interval (7 <-> 14) or is not
# proposed, and the action falls through to the dose as the IV rules do at their bounds.
def _shorter_interval(regimen: RegimenFact, policy: SitePolicy) -> int | None:
    interval = regimen.interval_days
    if not regimen.subcutaneous:
        return interval - policy.step_interval_days
    return max((d for d in SC_INTERVAL_DAYS if d < interval), default=None)


def _longer_interval(regimen: RegimenFact, policy: SitePolicy) -> int | None:
    interval = regimen.interval_days
    if regimen.subcutaneous:
        return min((d for d in SC_INTERVAL_DAYS if d > interval), default=None)
    longer = interval + policy.step_interval_days
    return longer if longer <= policy.max_interval_days else None


def _cannot_grow(regimen: RegimenFact, policy: SitePolicy) -> str:
    if regimen.subcutaneous:
        return (
            f"An SC regimen is given every {' or '.join(map(str, SC_INTERVAL_DAYS))} days: "
            f"its interval of {regimen.interval_days} days cannot grow"
        )
    return (
        f"The interval of {regimen.interval_days} days cannot grow past {policy.max_interval_days}"
    )


def _escalate_or_max(
    regimen: RegimenFact, policy: SitePolicy, evidence: str, why_not_shorter: str
) -> Recommendation:
    dose, interval = regimen.dose_g_per_kg, regimen.interval_days
    cap = policy.max_intensity_g_per_kg_28d
    prefix = f"{evidence} {why_not_shorter}".strip()
    higher = escalated_dose_g_per_kg(dose, interval, policy)
    if higher is None:
        if exceeds_intensity_cap(dose, interval, policy):
            where = (
                f"is already above the cap of {_g(cap)} g/kg per 28 days (prescribed "
                "with an override)"
            )
        else:
            where = f"is already the most the cap of {_g(cap)} g/kg per 28 days allows"
        return Recommendation(
            MAX_DOSE_REACHED,
            None,
            None,
            f"{prefix} {_g(dose)} g/kg every {interval} days {where}; review the treatment.",
        )
    capped = higher < _round2(dose * policy.escalate_factor) - _EPSILON
    limit = f", the most the cap of {_g(cap)} g/kg per 28 days allows" if capped else ""
    return Recommendation(
        ESCALATE_DOSE,
        None,
        higher,
        f"{prefix} Raise the dose from {_g(dose)} to {_g(higher)} g/kg every {interval} days"
        f"{limit}.",
    )


def _round2(value: float) -> float:
    # Half up, robust to float dust: 0.9 x 0.75 = 0.67499999... must give 0.68.
    return math.floor(value * 100 + 0.5 + _EPSILON) / 100


def _g(value: float) -> str:
    return f"{round(value, 2):g}"
