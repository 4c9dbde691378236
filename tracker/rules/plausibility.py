"""Entry limits: what a typed date or weight may be before anyone doses from it.

One place for the bounds a slip of the keyboard breaks (a weight dated 1900 for a patient
born in 1975, 7 kg for an adult): the services ask these before they store, so the JSON API,
the page forms and the imports refuse the same entry with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tracker.rules.wording import date_text

# Any weight at all: below a newborn's or above the heaviest who could sit in a chair.
LOWEST_WEIGHT_KG = 2.0
HIGHEST_WEIGHT_KG = 400.0
# An adult under this weight is a slip (lb for kg the other way, a dropped digit), not a fact.
ADULT_AGE_YEARS = 18
LOWEST_ADULT_WEIGHT_KG = 25.0
# A course's dose per day. The largest IVIG dose in use is 2 g/kg a course (induction, and
# high-dose maintenance), given over 2 to 5 days; even 2 g/kg in one day for a 100 kg patient
# is 200 g, beyond which no infusion rate gets it in during a day. Above it is a slip of the
# keyboard (a dropped decimal point, mg typed as g), not a prescription.
HIGHEST_DOSE_G_PER_DAY = 200.0
# The lowest dose a regimen may prescribe. Maintenance runs 0.4 to 2 g/kg a course; a
# tapered weekly SC dose can reach 0.1 g/kg. Under 0.05 g/kg no course does anything: it is
# a decimal point in the wrong place (0.01 for 0.1), not a prescription.
LOWEST_DOSE_G_PER_KG = 0.05
# How far ahead a booking or a regimen's start may be dated. Pharmacies book one to three
# courses ahead and no prescription is written for more than a year: a booking in 2200 is a
# slip of the keyboard.
FURTHEST_AHEAD_DAYS = 366


class ImplausibleEntry(ValueError):
    """An entry outside its plausible limits; `field` names it, `message` says the limit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Life:
    """The days a patient's record can speak of: from the birth date to today."""

    born_on: date
    today: date

    def age_years(self, on: date) -> int:
        """Whole years of age on a day."""
        return (
            on.year
            - self.born_on.year
            - ((on.month, on.day) < (self.born_on.month, self.born_on.day))
        )


def check_day_in_life(day: date, *, life: Life, field: str) -> None:
    """Refuse a day before the birth date or after today (ImplausibleEntry naming `field`)."""
    _check_not_before_birth(day, life=life, field=field)
    if day > life.today:
        raise ImplausibleEntry(
            field,
            f"{_label(field)} {date_text(day)} is after today "
            f"({date_text(life.today)}): it must not be in the future",
        )


def _check_not_before_birth(day: date, *, life: Life, field: str) -> None:
    if day < life.born_on:
        raise ImplausibleEntry(
            field,
            f"{_label(field)} {date_text(day)} is before the birth "
            f"date {date_text(life.born_on)}: it must lie within the "
            "patient's life",
        )


def check_day_ahead(
    day: date, *, life: Life, field: str, ahead_days: int = FURTHEST_AHEAD_DAYS
) -> None:
    """Refuse a planned day before the birth date or more than `ahead_days` after today."""
    _check_not_before_birth(day, life=life, field=field)
    latest = life.today + timedelta(days=ahead_days)
    if day > latest:
        raise ImplausibleEntry(
            field,
            f"{_label(field)} {date_text(day)} is more than {ahead_days} days ahead: "
            f"it must be on or before {date_text(latest)}",
        )


def check_regimen_entry(*, starts_on: date, dose_g_per_kg: float, life: Life) -> None:
    """A regimen as typed: its start within the life and a year ahead, its dose plausible."""
    check_day_ahead(starts_on, life=life, field="starts_on")
    if dose_g_per_kg < LOWEST_DOSE_G_PER_KG:
        raise ImplausibleEntry(
            "dose_g_per_kg",
            f"{dose_g_per_kg:g} g/kg is below the lowest plausible dose "
            f"({LOWEST_DOSE_G_PER_KG:g} g/kg); check the decimal point",
        )


def check_course_day(day: date, *, given: bool, life: Life) -> None:
    """A course's first day: given ones within the life; booked ones from today to a year on."""
    if given:
        check_day_in_life(day, life=life, field="scheduled_on")
        return
    if day < life.today:
        raise ImplausibleEntry(
            "scheduled_on",
            f"a booking cannot be in the past: {date_text(day)} is before today "
            f"({date_text(life.today)})",
        )
    check_day_ahead(day, life=life, field="scheduled_on")


def check_one_course_a_day(
    first_day: date, days: int, others: list[tuple[date, int]], *, field: str = "scheduled_on"
) -> None:
    """Refuse a course whose days meet another live course of the patient's (first day, days)."""
    wanted = {first_day + timedelta(days=i) for i in range(days)}
    for other_first, other_days in sorted(others):
        shared = wanted & {other_first + timedelta(days=i) for i in range(other_days)}
        if shared:
            raise ImplausibleEntry(
                field,
                f"the patient already has a course on {date_text(min(shared))} "
                f"(from {date_text(other_first)}, {other_days} "
                f"{'day' if other_days == 1 else 'days'}): one course a day; move or "
                "cancel that one first",
            )


def check_weight_kg(
    weight_kg: float, *, age_years: int | None = None, field: str = "weight_kg"
) -> None:
    """Refuse a weight outside 2 to 400 kg, or under 25 kg for an adult (18 or older)."""
    if not LOWEST_WEIGHT_KG <= weight_kg <= HIGHEST_WEIGHT_KG:
        raise ImplausibleEntry(
            field,
            f"weight {weight_kg:g} kg must be between "
            f"{LOWEST_WEIGHT_KG:g} and {HIGHEST_WEIGHT_KG:g} kg",
        )
    if (
        age_years is not None
        and age_years >= ADULT_AGE_YEARS
        and (weight_kg < LOWEST_ADULT_WEIGHT_KG)
    ):
        raise ImplausibleEntry(
            field,
            f"weight {weight_kg:g} kg is implausible for an adult "
            f"({age_years} years): an adult must weigh at least "
            f"{LOWEST_ADULT_WEIGHT_KG:g} kg; check the figure and its unit",
        )


def check_weight_entry(*, measured_on: date, weight_kg: float, life: Life) -> None:
    """A weight as typed: its day within the patient's life, its figure plausible then."""
    check_day_in_life(measured_on, life=life, field="measured_on")
    check_weight_kg(weight_kg, age_years=life.age_years(measured_on))


# A funding authorisation runs for a year or so; ten years is a slip of the keyboard (2072
# typed for 2027), not a payer's approval.
LONGEST_AUTHORIZATION_DAYS = 3653


def check_authorization_period(*, starts_on: date, ends_on: date, born_on: date) -> None:
    """Refuse an authorisation ending before it starts, starting before the patient was born,
    or running for more than ten years (ImplausibleEntry naming the field)."""
    if ends_on < starts_on:
        raise ImplausibleEntry(
            "ends_on",
            f"Ends on {date_text(ends_on)} is before starts on {date_text(starts_on)}: an "
            "authorisation ends on or after the day it starts",
        )
    if starts_on < born_on:
        raise ImplausibleEntry(
            "starts_on",
            f"Starts on {date_text(starts_on)} is before the birth date {date_text(born_on)}",
        )
    if (ends_on - starts_on).days > LONGEST_AUTHORIZATION_DAYS:
        raise ImplausibleEntry(
            "ends_on",
            f"Ends on {date_text(ends_on)} is more than ten years after starts on "
            f"{date_text(starts_on)}: check the year",
        )


def _label(field: str) -> str:
    return field.replace("_", " ").capitalize()


def check_course_dose(dose_g: float, *, days: int) -> None:
    """Refuse a course's dose (planned or given) above HIGHEST_DOSE_G_PER_DAY for each day."""
    if dose_g / days > HIGHEST_DOSE_G_PER_DAY:
        over = (
            f"{dose_g:g} g over {days} days is {dose_g / days:g} g a day"
            if days > 1
            else (f"{dose_g:g} g in one day")
        )
        raise ImplausibleEntry(
            "dose_g",
            f"{over}: a course may hold at most {HIGHEST_DOSE_G_PER_DAY:g} g a day "
            "(2 g/kg for 100 kg); check the dose and its unit",
        )


# A course given: the lots a recall must find, adding up to the dose.
LOT_TOTAL_TOLERANCE_G = 1e-9


def lots_total_difference(
    lots: list[tuple[str, int, float | None, date | None]], *, dose_g: float
) -> float | None:
    """Grams the lots' vials hold beyond the dose (negative: short); None if a size is unknown."""
    if not lots or any(size is None for _n, _v, size, _e in lots):
        return None
    return sum(vials * (size or 0) for _n, vials, size, _e in lots) - dose_g


def check_course_lots(
    lots: list[tuple[str, int, float | None, date | None]],
    *,
    dose_g: float,
    given_on: date,
    confirmed: bool,
) -> None:
    """Refuse a given course's lots: none, one expired, or a total not the dose unconfirmed.

    Each lot is (lot_number, vials, size_g, expires_on). Where every vial size is known the
    vials times sizes must equal the dose given; a difference (vials opened and partly
    discarded, a lot missed) is kept only when a person confirms it.
    """
    if not lots:
        raise ImplausibleEntry(
            "lots", "a course given needs at least one lot number, so a recall can find its vials"
        )
    for i, (number, _vials, _size, expires_on) in enumerate(lots):
        if expires_on is not None and expires_on < given_on:
            raise ImplausibleEntry(
                f"lots.{i}.expires_on",
                f"lot {number} expired on {date_text(expires_on)}, "
                f"before the day given ({date_text(given_on)})",
            )
    difference = lots_total_difference(lots, dose_g=dose_g)
    if not confirmed and difference is not None and abs(difference) > LOT_TOTAL_TOLERANCE_G:
        total = dose_g + difference
        raise ImplausibleEntry(
            "lots",
            f"the lots hold {total:g} g, {abs(difference):g} g "
            f"{'more' if difference > 0 else 'less'} than the {dose_g:g} g "
            "given: check the lots, or confirm the difference "
            "(confirm_lot_total)",
        )
