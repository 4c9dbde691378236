"""Checks on a new regimen and accepting a recommendation (weights: test_weights.py)."""

from datetime import date

import pytest

from tracker.rules import (
    Recommendation,
    RegimenError,
    RegimenFact,
    SitePolicy,
    accepted_regimen,
    check_regimen,
    regimen_overrides_needed,
)

POLICY = SitePolicy()


def test_a_regimen_within_the_cap_and_bounds_passes():
    check_regimen(dose_g_per_kg=2.4, interval_days=28, policy=POLICY)
    check_regimen(dose_g_per_kg=1.0, interval_days=14, policy=POLICY)
    check_regimen(dose_g_per_kg=1.0, interval_days=42, policy=POLICY)


def test_above_the_cap_needs_an_override_reason():
    with pytest.raises(RegimenError) as err:
        check_regimen(dose_g_per_kg=2.0, interval_days=21, policy=POLICY)
    assert err.value.field == "dose_g_per_kg"
    assert "2.67" in str(err.value)
    check_regimen(
        dose_g_per_kg=2.0, interval_days=21, policy=POLICY, override_reason="neurologist's plan"
    )


@pytest.mark.parametrize("interval", [13, 43])
def test_outside_the_interval_bounds_needs_an_override_reason(interval):
    with pytest.raises(RegimenError) as err:
        check_regimen(dose_g_per_kg=0.4, interval_days=interval, policy=POLICY)
    assert err.value.field == "interval_days"
    with pytest.raises(RegimenError):
        check_regimen(dose_g_per_kg=0.4, interval_days=interval, policy=POLICY, override_reason=" ")
    check_regimen(dose_g_per_kg=0.4, interval_days=interval, policy=POLICY, override_reason="x")


def test_patient_bounds_are_the_bounds_checked():
    weekly = POLICY.with_patient_bounds(7, None)
    check_regimen(dose_g_per_kg=0.5, interval_days=7, policy=weekly)
    assert regimen_overrides_needed(dose_g_per_kg=0.5, interval_days=7, policy=POLICY)


def test_both_problems_are_listed():
    needed = regimen_overrides_needed(dose_g_per_kg=1.0, interval_days=7, policy=POLICY)
    assert [e.field for e in needed] == ["dose_g_per_kg", "interval_days"]


@pytest.mark.parametrize(
    ("dose", "interval", "field"),
    [
        (0, 28, "dose_g_per_kg"),
        (-1, 28, "dose_g_per_kg"),
        (1.0, 0, "interval_days"),
        (1.0, 21.5, "interval_days"),
    ],
)
def test_nonsense_is_refused_even_with_a_reason(dose, interval, field):
    with pytest.raises(RegimenError) as err:
        check_regimen(
            dose_g_per_kg=dose, interval_days=interval, policy=POLICY, override_reason="x"
        )
    assert err.value.field == field


def test_accepting_keeps_the_current_value_where_nothing_is_proposed():
    current = RegimenFact(3, date(2026, 1, 5), 1.0, 28)
    on = date(2026, 6, 1)
    shorten = Recommendation("shorten_interval", 21, None, "r")
    assert accepted_regimen(current, shorten, accepted_on=on, new_id=4) == RegimenFact(
        4, on, 1.0, 21
    )
    escalate = Recommendation("escalate_dose", None, 1.25, "r")
    assert accepted_regimen(current, escalate, accepted_on=on) == RegimenFact(0, on, 1.25, 28)
