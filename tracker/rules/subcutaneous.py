"""Subcutaneous immunoglobulin (SCIG): its intervals and the conversion from IVIG (section 9).

An SC regimen is given weekly or every 2 weeks; the IV interval bounds do not apply to it
and need no override. Converting keeps the dose per day of cover: the SC dose is the IV dose
times the ratio of the intervals times `sc_conversion_factor` (1.0 by default: Harbo 2009 and
Eftimov 2009 found equal doses kept strength where half doses did not), rounded to the
nearest `sc_dose_rounding_g`, halves up. The SC regimen starts when the next IV course would
have been due, or on the day of the conversion if that is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tracker.rules.dosing import round_dose_g
from tracker.rules.policy import SitePolicy
from tracker.rules.wording import date_text

# The intervals an SC regimen may have, in days.
SC_INTERVAL_DAYS = (7, 14)


class ConversionError(ValueError):
    """A conversion that cannot be made; `field` names the offending value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def sc_interval_error(interval_days: int) -> str | None:
    """Why an SC regimen cannot have this interval, or None when it can."""
    if interval_days in SC_INTERVAL_DAYS:
        return None
    return (
        f"an SC regimen is given every 7 or 14 days ({interval_days} given); the IV interval "
        "bounds do not apply to it"
    )


@dataclass(frozen=True)
class ScConversion:
    """The arithmetic of one conversion, each step kept so that it can be shown."""

    iv_dose_g: float
    iv_interval_days: int
    sc_interval_days: int
    factor: float
    exact_g: float  # before rounding
    sc_dose_g: float
    rounding_g: float
    starts_on: date
    due_after_iv_on: date | None  # the last IV course's first day + the IV interval

    def describe(self) -> str:
        """E.g. "IV 70 g every 28 days → SC 70 × 7/28 × 1.0 = 17.5 → 18 g every 7 days from
        12 Dec 2026"."""
        return (
            f"IV {_n(self.iv_dose_g)} g every {self.iv_interval_days} days → SC "
            f"{_n(self.iv_dose_g)} × {self.sc_interval_days}/{self.iv_interval_days} × "
            f"{float(self.factor)} = {_n(self.exact_g)} → {_n(self.sc_dose_g)} g every "
            f"{self.sc_interval_days} days from {date_text(self.starts_on)}"
        )


def convert_to_sc(
    *,
    iv_dose_g: float,
    iv_interval_days: int,
    sc_interval_days: int,
    on: date,
    last_given_on: date | None,
    policy: SitePolicy,
) -> ScConversion:
    """The SC regimen that replaces an IV one: its dose in grams and its first day.

    `iv_dose_g` and `iv_interval_days` are the current IV regimen's; `last_given_on` is the
    first day of the last IV course given (None if none was). Raises ConversionError for an
    SC interval other than 7 or 14 days or an IV regimen without a dose.
    """
    problem = sc_interval_error(sc_interval_days)
    if problem is not None:
        raise ConversionError("interval_days", problem)
    if iv_dose_g <= 0 or iv_interval_days < 1:
        raise ConversionError("regimen", "the IV regimen has no dose in grams to convert")
    exact = iv_dose_g * sc_interval_days / iv_interval_days * policy.sc_conversion_factor
    due = None if last_given_on is None else last_given_on + timedelta(days=iv_interval_days)
    return ScConversion(
        iv_dose_g=iv_dose_g,
        iv_interval_days=iv_interval_days,
        sc_interval_days=sc_interval_days,
        factor=policy.sc_conversion_factor,
        exact_g=exact,
        sc_dose_g=round_dose_g(exact, policy.sc_dose_rounding_g),
        rounding_g=policy.sc_dose_rounding_g,
        starts_on=on if due is None else max(on, due),
        due_after_iv_on=due,
    )


def _n(value: float) -> str:
    return f"{round(value, 2):g}"
