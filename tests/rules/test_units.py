"""Weights and heights in kg or lb, cm or in: converted in one place, exactly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.rules import (
    HeightUnit,
    UnitError,
    WeightUnit,
    from_cm,
    from_kg,
    height_text,
    to_cm,
    to_kg,
    weight_text,
)


def test_the_exact_definitions():
    assert to_kg(1, "lb") == 0.45359237
    assert to_kg(154, WeightUnit.LB) == pytest.approx(69.85322498)
    assert to_kg(70, "kg") == 70
    assert to_cm(65, "in") == pytest.approx(165.1)
    assert to_cm(160, HeightUnit.CM) == 160


@given(st.floats(1, 1000), st.sampled_from(list(WeightUnit)))
def test_weight_round_trips(kg, unit):
    assert to_kg(from_kg(kg, unit), unit) == pytest.approx(kg)


@given(st.floats(30, 300), st.sampled_from(list(HeightUnit)))
def test_height_round_trips(cm, unit):
    assert to_cm(from_cm(cm, unit), unit) == pytest.approx(cm)


def test_shown_to_a_tenth_in_the_unit_asked():
    assert weight_text(70) == "70 kg"
    assert weight_text(69.85322498, "lb") == "154 lb"
    assert weight_text(70.25) == "70.3 kg"  # half up
    assert height_text(165.1, "in") == "65 in"
    assert height_text(160) == "160 cm"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: to_kg(70, "stone"), "weight_unit"),
        (lambda: to_cm(160, "ft"), "height_unit"),
        (lambda: to_kg(float("inf"), "kg"), "weight"),
        (lambda: to_cm(True, "cm"), "height"),
    ],
)
def test_unknown_units_and_non_numbers_are_refused(call, field):
    with pytest.raises(UnitError) as err:
        call()
    assert err.value.field == field
