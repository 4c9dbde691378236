"""The weight that counts on a day, and the jump of more than 10% a person must confirm."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules import (
    WEIGHT_CHANGE_LIMIT,
    WeightChangeError,
    check_weight_change,
    latest_weight,
    weight_change,
)

D = date(2026, 11, 2)


def test_latest_weight_on_or_before_the_day():
    weights = [(date(2026, 1, 1), 70.0), (date(2026, 3, 1), 72.0), (date(2026, 5, 1), 75.0)]
    assert latest_weight(weights, date(2026, 4, 30)) == (date(2026, 3, 1), 72.0)
    assert latest_weight(weights, date(2026, 5, 1)) == (date(2026, 5, 1), 75.0)
    assert latest_weight(weights, date(2025, 12, 31)) is None
    same_day = [(date(2026, 1, 1), 70.0), (date(2026, 1, 1), 71.0)]
    assert latest_weight(same_day, date(2026, 1, 1)) == (date(2026, 1, 1), 71.0)


def test_a_weight_dated_after_the_day_never_counts_whatever_the_order_recorded():
    # Recorded in this order: the later-dated one first (entered after the fact).
    weights = [(date(2026, 6, 1), 90.0), (date(2026, 5, 1), 70.0)]
    assert latest_weight(weights, date(2026, 5, 31)) == (date(2026, 5, 1), 70.0)
    assert latest_weight(weights, date(2026, 6, 1)) == (date(2026, 6, 1), 90.0)
    assert latest_weight([], D) is None


def test_same_day_tie_goes_to_the_later_record_not_the_larger_figure():
    weights = [(D, 71.0), (D, 69.0)]
    assert latest_weight(weights, D) == (D, 69.0)


def test_rows_of_any_shape_with_a_day_reader():
    rows = [{"on": D, "kg": 70, "id": 1}, {"on": D, "kg": 72, "id": 2}]
    assert latest_weight(rows, D, measured_on=lambda r: r["on"])["id"] == 2


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.floats(20, 200)), max_size=12), st.integers(-2, 32)
)
def test_latest_weight_is_the_last_recorded_of_the_latest_day_not_after(raw, offset):
    weights = [(D + timedelta(days=d), kg) for d, kg in raw]
    on = D + timedelta(days=offset)
    eligible = [(i, w) for i, w in enumerate(weights) if w[0] <= on]
    expected = max(eligible, key=lambda iw: (iw[1][0], iw[0]))[1] if eligible else None
    assert latest_weight(weights, on) == expected


def test_the_brief_example_message():
    with pytest.raises(WeightChangeError) as err:
        check_weight_change(
            [(D, 70.0)], measured_on=D + timedelta(days=5), weight_kg=154, confirmed=False
        )
    assert err.value.field == "weight_kg"
    assert err.value.message == (
        "154 kg is 120% more than 70 kg on 02 Nov 2026; if this is right, confirm the change "
        "(confirm_weight_change); lb typed as kg is the usual cause (154 lb = 69.85 kg)"
    )


def test_a_drop_names_the_other_slip():
    change = weight_change([(D, 70.0)], measured_on=D, weight_kg=31.75)
    assert change.needs_confirmation
    assert change.message.startswith("31.75 kg is 55% less than 70 kg on 02 Nov 2026")
    assert "kg typed as lb" in change.message and "= 70 lb" in change.message


@pytest.mark.parametrize(
    ("new", "needs"),
    [
        (77.0, False),
        (63.0, False),  # exactly 10% either way is kept
        (77.01, True),
        (62.99, True),
        (70.0, False),
        (140.0, True),
    ],
)
def test_more_than_ten_percent_needs_confirmation(new, needs):
    assert WEIGHT_CHANGE_LIMIT == 0.10
    change = weight_change([(D, 70.0)], measured_on=D + timedelta(days=1), weight_kg=new)
    assert change.needs_confirmation is needs


def test_confirmed_jump_is_let_through_with_its_change():
    change = check_weight_change([(D, 70.0)], measured_on=D, weight_kg=154, confirmed=True)
    assert change.previous_kg == 70 and change.needs_confirmation


def test_no_previous_weight_needs_no_confirmation():
    assert check_weight_change([], measured_on=D, weight_kg=154, confirmed=False) is None
    # A weight dated after the new one is not its previous one.
    later = [(D + timedelta(days=3), 70.0)]
    assert check_weight_change(later, measured_on=D, weight_kg=154, confirmed=False) is None


def test_the_previous_is_the_latest_on_or_before_the_new_day_same_day_included():
    weights = [(D - timedelta(days=10), 100.0), (D, 70.0), (D + timedelta(days=2), 150.0)]
    change = weight_change(weights, measured_on=D, weight_kg=72)
    assert (change.previous_on, change.previous_kg) == (D, 70.0)
    assert not change.needs_confirmation
    # Back-dated between two: compared with the one before it, not the later one.
    change = weight_change(weights, measured_on=D - timedelta(days=1), weight_kg=72)
    assert change.previous_kg == 100.0 and change.needs_confirmation


def test_a_dose_on_a_weight_over_180_days_old_says_so():
    from tracker.rules.weights import stale_weight_note

    weighed = date(2026, 1, 1)
    assert stale_weight_note(weighed, date(2026, 6, 30), weight_stale_days=180) is None
    note = stale_weight_note(weighed, date(2026, 7, 1), weight_stale_days=180)
    assert note == (
        "dosed on a stale weight: measured 01 Jan 2026, 181 days before, more "
        "than 180; weigh the patient"
    )
