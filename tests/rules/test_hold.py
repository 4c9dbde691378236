"""Holds: a review that stops treatment, and the day a patient comes back (section 4)."""

from datetime import date

from tracker.rules.hold import resumed_on_after, status_after_review

DAY = date(2026, 5, 1)


def test_a_review_with_outcome_stop_puts_an_active_patient_on_hold():
    assert status_after_review("stop", "active") == "on_hold"


def test_other_outcomes_and_other_statuses_change_nothing():
    assert status_after_review("continue", "active") == "active"
    assert status_after_review("change", "active") == "active"
    assert status_after_review("stop", "discharged") == "discharged"
    assert status_after_review("stop", "on_hold") == "on_hold"


def test_coming_back_from_hold_is_dated_today():
    assert resumed_on_after("on_hold", "active", today=DAY, resumed_on=None) == DAY


def test_other_changes_keep_the_last_return():
    earlier = date(2025, 1, 1)
    assert resumed_on_after("active", "on_hold", today=DAY, resumed_on=earlier) == earlier
    assert resumed_on_after("discharged", "active", today=DAY, resumed_on=earlier) == earlier
    assert resumed_on_after("active", "active", today=DAY, resumed_on=None) is None
