"""Entry limits: a day within the patient's life, a plausible weight, dose and booking."""

from datetime import date, timedelta

import pytest

from tracker.rules.plausibility import (
    FURTHEST_AHEAD_DAYS,
    ImplausibleEntry,
    Life,
    check_authorization_period,
    check_course_day,
    check_day_ahead,
    check_day_in_life,
    check_one_course_a_day,
    check_regimen_entry,
    check_weight_entry,
    check_weight_kg,
)

LIFE = Life(born_on=date(1975, 6, 15), today=date(2026, 12, 4))


@pytest.mark.parametrize("day", [date(1975, 6, 15), date(2000, 1, 1), date(2026, 12, 4)])
def test_days_within_the_life_pass(day):
    check_day_in_life(day, life=LIFE, field="measured_on")


@pytest.mark.parametrize(
    "day,words",
    [
        (date(1900, 1, 1), "before the birth date 15 Jun 1975"),
        (date(1975, 6, 14), "before the birth date"),
        (date(2026, 12, 5), "after today"),
    ],
)
def test_days_outside_the_life_are_refused_naming_field_and_limit(day, words):
    with pytest.raises(ImplausibleEntry) as refused:
        check_day_in_life(day, life=LIFE, field="measured_on")
    assert refused.value.field == "measured_on" and words in refused.value.message


def test_age_counts_whole_years():
    assert LIFE.age_years(date(1993, 6, 14)) == 17
    assert LIFE.age_years(date(1993, 6, 15)) == 18


@pytest.mark.parametrize("kg,age", [(2, None), (400, 40), (25, 18), (12, 4), (24.9, 17)])
def test_plausible_weights_pass(kg, age):
    check_weight_kg(kg, age_years=age)


@pytest.mark.parametrize(
    "kg,age,words",
    [
        (1.9, None, "between 2 and 400 kg"),
        (401, 30, "between 2 and 400 kg"),
        (24.9, 18, "at least 25 kg"),
        (7, 51, "implausible for an adult"),
    ],
)
def test_implausible_weights_are_refused(kg, age, words):
    with pytest.raises(ImplausibleEntry) as refused:
        check_weight_kg(kg, age_years=age)
    assert refused.value.field == "weight_kg" and words in refused.value.message


def test_a_weight_entry_checks_its_day_then_the_figure_at_that_age():
    with pytest.raises(ImplausibleEntry) as refused:
        check_weight_entry(measured_on=date(1900, 1, 1), weight_kg=70, life=LIFE)
    assert refused.value.field == "measured_on"
    # 20 kg at 10 years old is a child's weight; at 40 it is refused.
    check_weight_entry(measured_on=date(1985, 7, 1), weight_kg=20, life=LIFE)
    with pytest.raises(ImplausibleEntry):
        check_weight_entry(measured_on=date(2015, 7, 1), weight_kg=20, life=LIFE)


def test_a_course_dose_above_200_g_a_day_is_refused():
    from tracker.rules.plausibility import check_course_dose

    check_course_dose(200, days=1)
    check_course_dose(400, days=2)
    with pytest.raises(ImplausibleEntry) as refused:
        check_course_dose(400, days=1)
    assert refused.value.field == "dose_g" and "200 g a day" in refused.value.message


def test_a_planned_day_may_be_up_to_a_year_ahead_and_no_further():
    last = LIFE.today + timedelta(days=FURTHEST_AHEAD_DAYS)
    check_day_ahead(last, life=LIFE, field="starts_on")
    with pytest.raises(ImplausibleEntry) as refused:
        check_day_ahead(last + timedelta(days=1), life=LIFE, field="starts_on")
    assert refused.value.field == "starts_on"
    assert "more than 366 days ahead" in refused.value.message
    assert "05 Dec 2027" in refused.value.message  # the limit, in the pages' date style
    with pytest.raises(ImplausibleEntry, match="before the birth date 15 Jun 1975"):
        check_day_ahead(date(1900, 1, 1), life=LIFE, field="starts_on")


@pytest.mark.parametrize(
    "starts_on,dose,field",
    [
        (date(1900, 1, 1), 1.0, "starts_on"),
        (date(2199, 1, 1), 1.0, "starts_on"),
        (date(2026, 12, 4), 0.0001, "dose_g_per_kg"),
        (date(2026, 12, 4), 0.049, "dose_g_per_kg"),
    ],
)
def test_implausible_regimens_are_refused_naming_the_field(starts_on, dose, field):
    with pytest.raises(ImplausibleEntry) as refused:
        check_regimen_entry(starts_on=starts_on, dose_g_per_kg=dose, life=LIFE)
    assert refused.value.field == field


def test_a_low_but_real_dose_and_a_start_next_month_pass():
    check_regimen_entry(starts_on=date(2027, 1, 4), dose_g_per_kg=0.05, life=LIFE)


def test_a_course_day_given_lies_in_the_life_and_a_booking_from_today_to_a_year_on():
    check_course_day(date(2020, 1, 2), given=True, life=LIFE)
    check_course_day(LIFE.today, given=False, life=LIFE)
    for day, given, words in [
        (date(1900, 1, 2), True, "before the birth date"),
        (date(2026, 12, 5), True, "after today"),
        (date(2026, 12, 3), False, "a booking cannot be in the past"),
        (date(2200, 1, 6), False, "more than 366 days ahead"),
    ]:
        with pytest.raises(ImplausibleEntry, match=words) as refused:
            check_course_day(day, given=given, life=LIFE)
        assert refused.value.field == "scheduled_on"


def test_one_course_a_day_counts_every_day_of_a_multi_day_course():
    monday = date(2026, 12, 7)
    check_one_course_a_day(monday, 1, [(monday - timedelta(days=1), 1), (monday + timedelta(1), 2)])
    with pytest.raises(ImplausibleEntry, match="already has a course on 07 Dec 2026"):
        check_one_course_a_day(monday, 1, [(monday - timedelta(days=2), 3)])
    with pytest.raises(ImplausibleEntry, match="already has a course on 09 Dec 2026"):
        check_one_course_a_day(monday, 3, [(monday + timedelta(days=2), 1)])


def test_an_authorisation_period_must_run_forwards_within_life_and_ten_years():
    born = date(1960, 5, 1)
    check_authorization_period(starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 1), born_on=born)
    check_authorization_period(starts_on=date(2026, 1, 1), ends_on=date(2035, 12, 31), born_on=born)
    cases = [
        (date(2026, 3, 1), date(2026, 2, 28), "ends_on", "before starts on 01 Mar 2026"),
        (date(1959, 1, 1), date(2026, 2, 28), "starts_on", "before the birth date"),
        (date(2026, 1, 1), date(2072, 12, 31), "ends_on", "more than ten years"),
    ]
    for starts_on, ends_on, field, words in cases:
        with pytest.raises(ImplausibleEntry) as refused:
            check_authorization_period(starts_on=starts_on, ends_on=ends_on, born_on=born)
        assert refused.value.field == field and words in refused.value.message
