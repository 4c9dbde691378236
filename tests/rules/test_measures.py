"""Outcome measures: units, direction, MCID, and what a score may be."""

import pytest

from tracker.rules import MEASURES, ScoreError, improvement, is_better, validate_score
from tracker.rules.measures import reaches_mcid, series_label

# Section 2 of the clinical rules, plus the ranges and sides the tracker accepts.
SPEC = {
    "grip_vigorimeter": ("kPa", True, 8, 0, 200, True),
    "grip_dynamometer": ("kg", True, 6, 0, 100, True),
    "mrc_sum": ("points", True, 2, 0, 60, False),
    "rods": ("centile", True, 4, 0, 100, False),
    "incat": ("points", False, 1, 0, 10, False),
    "onls": ("points", False, 1, 0, 12, False),
    "wear_off_day": ("day of cycle", True, None, 0, 84, False),
}


@pytest.mark.parametrize("code", sorted(SPEC))
def test_each_measure_as_the_spec_defines_it(code):
    m = MEASURES[code]
    assert m.code == code
    assert (m.unit, m.higher_is_better, m.mcid, m.min_value, m.max_value, m.needs_side) == SPEC[
        code
    ]
    assert m.label


def test_no_measures_beyond_the_spec():
    assert set(MEASURES) == set(SPEC)


def test_unknown_measure_is_refused():
    with pytest.raises(ScoreError) as err:
        validate_score("grip_strength", "left", 50)
    assert err.value.field == "measure"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("code", ["grip_vigorimeter", "grip_dynamometer"])
@pytest.mark.parametrize("side", [None, "", "both", "Left"])
def test_grip_needs_left_or_right(code, side):
    with pytest.raises(ScoreError) as err:
        validate_score(code, side, 40)
    assert err.value.field == "side"


@pytest.mark.parametrize("code", ["grip_vigorimeter", "grip_dynamometer"])
def test_grip_with_a_side_is_accepted(code):
    validate_score(code, "left", 40)
    validate_score(code, "right", 40)


@pytest.mark.parametrize("code", ["mrc_sum", "rods", "incat", "onls", "wear_off_day"])
def test_other_measures_must_have_no_side(code):
    validate_score(code, None, 1)
    with pytest.raises(ScoreError) as err:
        validate_score(code, "left", 1)
    assert err.value.field == "side"


@pytest.mark.parametrize(
    ("code", "side", "low", "high"),
    [
        ("grip_vigorimeter", "left", 0, 200),
        ("grip_dynamometer", "right", 0, 100),
        ("mrc_sum", None, 0, 60),
        ("rods", None, 0, 100),
        ("incat", None, 0, 10),
        ("onls", None, 0, 12),
        ("wear_off_day", None, 0, 84),
    ],
)
def test_range_ends_are_accepted_and_beyond_refused(code, side, low, high):
    validate_score(code, side, low)
    validate_score(code, side, high)
    for bad in (low - 1, high + 1):
        with pytest.raises(ScoreError) as err:
            validate_score(code, side, bad)
        assert err.value.field == "value"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "40", None, True])
def test_a_value_must_be_a_finite_number(bad):
    with pytest.raises(ScoreError) as err:
        validate_score("grip_vigorimeter", "left", bad)
    assert err.value.field == "value"


@pytest.mark.parametrize("code", ["mrc_sum", "incat", "onls", "wear_off_day"])
def test_point_scores_are_whole_numbers(code):
    with pytest.raises(ScoreError) as err:
        validate_score(code, None, 2.5)
    assert err.value.field == "value"
    validate_score(code, None, 2.0)


def test_grip_and_rods_may_be_fractional():
    validate_score("grip_vigorimeter", "left", 42.5)
    validate_score("rods", None, 55.5)


def test_improvement_of_higher_is_better_measures():
    assert improvement("grip_vigorimeter", 40, 52) == 12
    assert improvement("mrc_sum", 56, 52) == -4


@pytest.mark.parametrize("code", ["incat", "onls"])
def test_lower_is_better_measures_rising_is_worse(code):
    assert improvement(code, 2, 4) == -2
    assert improvement(code, 4, 2) == 2
    assert is_better(code, 2, 4)
    assert not is_better(code, 4, 2)


def test_is_better_is_strict():
    assert is_better("grip_dynamometer", 30, 28)
    assert not is_better("grip_dynamometer", 28, 30)
    assert not is_better("grip_dynamometer", 30, 30)


def test_a_later_wear_off_day_is_better():
    assert is_better("wear_off_day", 21, 14)


def test_mcid_is_reached_at_exactly_the_mcid_despite_float_error():
    assert reaches_mcid("grip_vigorimeter", 48.3 - 40.3)  # 7.999999999999996 in floats
    assert not reaches_mcid("grip_vigorimeter", 7.9)
    assert reaches_mcid("incat", 1)
    assert not reaches_mcid("wear_off_day", 30)  # no MCID: never a series change


def test_series_labels_name_the_side():
    assert series_label("grip_vigorimeter", "right") == "right grip (Vigorimeter)"
    assert series_label("mrc_sum", None) == "MRC sum"
