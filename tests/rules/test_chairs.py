"""How long a course holds its chair and when two holds clash (the booking rules)."""

from datetime import date, time

from tracker.rules.chairs import (
    DEFAULT_CHAIR_MINUTES,
    WHOLE_DAY_MINUTES,
    chair_minutes,
    chair_span,
    course_days,
    spans_clash,
)


def test_a_course_holds_its_chair_from_its_start_for_its_minutes():
    assert chair_span(time(9, 30), 150) == (570, 720)


def test_unknown_minutes_hold_the_default_and_no_start_holds_the_day():
    assert chair_span(time(8, 0), None) == (480, 480 + DEFAULT_CHAIR_MINUTES)
    assert chair_span(None, 90) == (0, WHOLE_DAY_MINUTES)


def test_holds_clash_when_they_overlap_but_not_when_they_touch():
    assert spans_clash((480, 720), (700, 800))
    assert spans_clash((480, 720), (500, 600))
    assert not spans_clash((480, 720), (720, 800))
    assert not spans_clash((720, 800), (480, 720))


def test_a_multi_day_course_holds_each_of_its_days():
    assert course_days(date(2026, 3, 30), 3) == {
        date(2026, 3, 30),
        date(2026, 3, 31),
        date(2026, 4, 1),
    }


def test_minutes_come_from_the_dose_weight_and_rates_else_the_default():
    known = chair_minutes(
        dose_g=70,
        weight_kg=70,
        concentration_percent=10,
        max_rate_mg_per_kg_per_min=8,
        start_rate_mg_per_kg_per_min=0.5,
    )
    assert 30 < known < DEFAULT_CHAIR_MINUTES * 2
    assert (
        chair_minutes(
            dose_g=None,
            weight_kg=70,
            concentration_percent=10,
            max_rate_mg_per_kg_per_min=8,
            start_rate_mg_per_kg_per_min=0.5,
        )
        == DEFAULT_CHAIR_MINUTES
    )
    # A rate the dose calculation refuses (per hour given as per minute) gives the default.
    assert (
        chair_minutes(
            dose_g=70,
            weight_kg=70,
            concentration_percent=10,
            max_rate_mg_per_kg_per_min=800,
            start_rate_mg_per_kg_per_min=0.5,
        )
        == DEFAULT_CHAIR_MINUTES
    )
