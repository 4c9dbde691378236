"""Entry limits: what a typed date or weight may be before anyone doses from it.

One place for the bounds a slip of the keyboard breaks (a weight dated 1900 for a patient
born in 1975, 7 kg for an adult): the services ask these before they store, so the JSON API,
the page forms and the imports refuse the same entry with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    if day < life.born_on:
        raise ImplausibleEntry(
            field,
            f"{_label(field)} {day.isoformat()} is before the birth "
            f"date {life.born_on.isoformat()}: it must lie within the "
            "patient's life",
        )
    if day > life.today:
        raise ImplausibleEntry(
            field,
            f"{_label(field)} {day.isoformat()} is after today "
            f"({life.today.isoformat()}): it must not be in the future",
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
            f"Ends on {ends_on.isoformat()} is before starts on {starts_on.isoformat()}: an "
            "authorisation ends on or after the day it starts",
        )
    if starts_on < born_on:
        raise ImplausibleEntry(
            "starts_on",
            f"Starts on {starts_on.isoformat()} is before the birth date {born_on.isoformat()}",
        )
    if (ends_on - starts_on).days > LONGEST_AUTHORIZATION_DAYS:
        raise ImplausibleEntry(
            "ends_on",
            f"Ends on {ends_on.isoformat()} is more than ten years after starts on "
            f"{starts_on.isoformat()}: check the year",
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
                f"lot {number} expired on {expires_on.isoformat()}, "
                f"before the day given ({given_on.isoformat()})",
            )
    if confirmed or any(size is None for _n, _v, size, _e in lots):
        return
    total = sum(vials * (size or 0) for _n, vials, size, _e in lots)  # none is None here
    difference = total - dose_g
    if abs(difference) > LOT_TOTAL_TOLERANCE_G:
        raise ImplausibleEntry(
            "lots",
            f"the lots hold {total:g} g, {abs(difference):g} g "
            f"{'more' if difference > 0 else 'less'} than the {dose_g:g} g "
            "given: check the lots, or confirm the difference "
            "(confirm_lot_total)",
        )
