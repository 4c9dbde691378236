"""The renewal packet's arithmetic and the funding bar, as plain values."""

from datetime import date

import pytest

from tracker.rules.authorizations import AuthorizationFact, AuthorizationStanding, funding_bar
from tracker.rules.renewal import period_changes, taper_steps

GRIP = ("grip_vigorimeter", "right")


def test_the_baseline_is_the_last_score_before_the_first_course_of_the_period():
    readings = [
        (date(2026, 1, 1), GRIP, 30.0),
        (date(2026, 2, 1), GRIP, 40.0),
        (date(2026, 2, 1), GRIP, 41.0),  # recorded later the same day: the baseline
        (date(2026, 5, 1), GRIP, 49.5),
        (date(2026, 9, 1), GRIP, 70.0),  # after the period's end: not counted
    ]
    (line,) = period_changes(
        readings,
        first_course_on=date(2026, 2, 10),
        period_start=date(2026, 2, 5),
        period_end=date(2026, 8, 1),
    )
    assert (line.baseline_on, line.baseline, line.latest, line.change) == (
        date(2026, 2, 1),
        41.0,
        49.5,
        8.5,
    )
    assert line.reaches_mcid and line.verdict == "improved"


def test_without_a_score_before_the_first_course_the_earliest_in_the_period_is_the_baseline():
    readings = [
        (date(2026, 3, 1), ("incat", None), 4.0),
        (date(2026, 6, 1), ("incat", None), 4.0),
    ]
    (line,) = period_changes(
        readings,
        first_course_on=date(2026, 2, 10),
        period_start=date(2026, 2, 5),
        period_end=date(2026, 8, 1),
    )
    assert line.baseline_on == date(2026, 3, 1) and line.change == 0
    assert not line.reaches_mcid and line.verdict == "within MCID"


def test_a_series_with_one_score_has_no_change_and_one_before_the_period_alone_none():
    lone = period_changes(
        [(date(2026, 3, 1), GRIP, 40.0)],
        first_course_on=None,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 8, 1),
    )
    assert lone[0].latest is None and lone[0].verdict == "no later score"
    assert (
        period_changes(
            [(date(2025, 3, 1), GRIP, 40.0)],
            first_course_on=None,
            period_start=date(2026, 2, 1),
            period_end=date(2026, 8, 1),
        )
        == ()
    )


def test_a_taper_is_a_regimen_that_lowers_the_intensity():
    steps = taper_steps(
        [
            (date(2026, 1, 1), 2.0),
            (date(2026, 3, 1), 1.6),
            (date(2026, 5, 1), 1.6),
            (date(2026, 6, 1), None),
            (date(2026, 7, 1), 2.0),
        ]
    )
    assert [(s.starts_on, s.before, s.after, s.percent) for s in steps] == [
        (date(2026, 3, 1), 2.0, 1.6, 20.0)
    ]


def _standing(approved_g=None, approved_courses=None, **figures):
    a = AuthorizationFact(
        1, date(2026, 1, 1), date(2026, 12, 31), approved_g, approved_courses, "PA-1", "Aetna"
    )
    return AuthorizationStanding(a, **figures)


def test_the_bar_shows_grams_else_courses_and_the_overspend():
    bar = funding_bar(_standing(420, 6, used_g=140, used_courses=2, booked_g=70, booked_courses=1))
    assert bar.basis == "g"
    assert (bar.used_share, bar.booked_share, bar.remaining_share) == pytest.approx(
        (1 / 3, 1 / 6, 0.5)
    )
    by_courses = funding_bar(_standing(None, 4, used_courses=1, booked_courses=1))
    assert by_courses.basis == "courses" and by_courses.remaining_share == pytest.approx(0.5)
    over = funding_bar(_standing(100, None, used_g=80, booked_g=40))
    assert over.over == 20 and over.remaining_share == 0
    assert funding_bar(_standing()).basis == ""
