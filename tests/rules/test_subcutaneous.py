"""Converting IVIG to SCIG (clinical rules 9): worked examples and properties."""

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.rules import SitePolicy
from tracker.rules.subcutaneous import ConversionError, convert_to_sc, sc_interval_error

ON = date(2026, 12, 5)


def test_the_worked_example_of_the_page():
    c = convert_to_sc(
        iv_dose_g=70,
        iv_interval_days=28,
        sc_interval_days=7,
        on=ON,
        last_given_on=date(2026, 11, 14),
        policy=SitePolicy(),
    )
    assert (c.exact_g, c.sc_dose_g, c.starts_on) == (17.5, 18, date(2026, 12, 12))
    assert c.describe() == (
        "IV 70 g every 28 days → SC 70 × 7/28 × 1.0 = 17.5 → 18 g every 7 days from 12 Dec 2026"
    )


@pytest.mark.parametrize(
    ("iv_g", "iv_days", "sc_days", "factor", "rounding", "expected"),
    [
        (70, 28, 7, 1.0, 1, 18),  # 17.5: halves up
        (80, 28, 14, 1.0, 1, 40),
        (90, 21, 7, 1.0, 1, 30),
        (70, 21, 7, 1.0, 1, 23),  # 23.33
        (100, 28, 7, 1.0, 5, 25),
        (70, 28, 7, 1.25, 1, 22),  # 21.875
        (70, 28, 7, 1.0, 0.5, 17.5),
        (2, 42, 7, 1.0, 1, 1),  # never below one step
    ],
)
def test_dose_arithmetic(iv_g, iv_days, sc_days, factor, rounding, expected):
    policy = SitePolicy(sc_conversion_factor=factor, sc_dose_rounding_g=rounding)
    c = convert_to_sc(
        iv_dose_g=iv_g,
        iv_interval_days=iv_days,
        sc_interval_days=sc_days,
        on=ON,
        last_given_on=None,
        policy=policy,
    )
    assert c.sc_dose_g == expected


def test_starts_on_the_later_of_the_day_and_the_next_iv_due_day():
    policy = SitePolicy()

    def start(on, last):
        return convert_to_sc(
            iv_dose_g=70,
            iv_interval_days=28,
            sc_interval_days=7,
            on=on,
            last_given_on=last,
            policy=policy,
        ).starts_on

    assert start(ON, None) == ON
    assert start(ON, ON - timedelta(days=40)) == ON  # the IV course was due already
    assert start(ON, ON - timedelta(days=10)) == ON + timedelta(days=18)
    assert start(ON, ON - timedelta(days=28)) == ON


@pytest.mark.parametrize("days", [1, 6, 10, 21, 28])
def test_only_weekly_or_fortnightly(days):
    assert sc_interval_error(days) is not None
    with pytest.raises(ConversionError) as err:
        convert_to_sc(
            iv_dose_g=70,
            iv_interval_days=28,
            sc_interval_days=days,
            on=ON,
            last_given_on=None,
            policy=SitePolicy(),
        )
    assert err.value.field == "interval_days"
    assert sc_interval_error(7) is None and sc_interval_error(14) is None


@given(
    iv_g=st.integers(5, 300),
    iv_days=st.integers(7, 84),
    sc_days=st.sampled_from((7, 14)),
    factor=st.sampled_from((0.5, 1.0, 1.2, 2.0)),
    rounding=st.sampled_from((0.5, 1, 2.5, 5)),
)
def test_the_dose_is_the_nearest_step_to_the_exact_figure(iv_g, iv_days, sc_days, factor, rounding):
    policy = SitePolicy(sc_conversion_factor=factor, sc_dose_rounding_g=rounding)
    c = convert_to_sc(
        iv_dose_g=iv_g,
        iv_interval_days=iv_days,
        sc_interval_days=sc_days,
        on=ON,
        last_given_on=None,
        policy=policy,
    )
    exact = iv_g * sc_days / iv_days * factor
    assert math.isclose(c.exact_g, exact)
    steps = c.sc_dose_g / rounding
    assert math.isclose(steps, round(steps))  # a whole number of steps
    assert c.sc_dose_g >= rounding
    if exact >= rounding:
        # Within half a step, halves up.
        assert -rounding / 2 - 1e-9 < c.sc_dose_g - exact <= rounding / 2 + 1e-9


# ---- the recommended action under SC (clinical rules 6 and 9) ----------------------------


def _sc_recommendation(interval_days: int, *, end_of_dose: bool, dose: float = 0.25):
    from tracker.rules.facts import RegimenFact
    from tracker.rules.recommend import recommend
    from tracker.rules.response import ResponseSummary

    regimen = RegimenFact(1, date(2026, 1, 5), dose, interval_days, route="sc")
    response = ResponseSummary(
        end_of_dose=end_of_dose,
        end_of_dose_cycles=(),
        progressive=(),
        recent_wear_off=end_of_dose,
        counting_with_data=6,
    )
    return recommend(regimen=regimen, response=response, on=date(2026, 9, 1), policy=SitePolicy())


@pytest.mark.parametrize(
    ("interval_days", "action", "proposed"),
    [
        # End-of-dose waning is not evaluated under SC; were it found, a shorter interval is
        # only ever the other SC one, and weekly has none shorter: the dose goes up instead.
        (14, "shorten_interval", (7, None)),
        (7, "escalate_dose", (None, 0.31)),
    ],
)
def test_an_sc_shortening_stays_at_an_sc_interval(interval_days, action, proposed):
    rec = _sc_recommendation(interval_days, end_of_dose=True)
    assert rec is not None and rec.action == action
    assert (rec.proposed_interval_days, rec.proposed_dose_g_per_kg) == proposed


@pytest.mark.parametrize(
    ("interval_days", "dose", "action", "proposed"),
    [
        (7, 0.25, "consider_taper", (14, None)),
        # No SC interval is longer than 14 days: the dose is lowered instead...
        (14, 0.5, "consider_taper", (None, 0.38)),
        # ...unless that falls under the label's lowest intensity (0.19 g/kg a fortnight).
        (14, 0.25, "consider_trial_off", (None, None)),
    ],
)
def test_an_sc_taper_stays_at_an_sc_interval(interval_days, dose, action, proposed):
    rec = _sc_recommendation(interval_days, end_of_dose=False, dose=dose)
    assert rec is not None and rec.action == action
    assert (rec.proposed_interval_days, rec.proposed_dose_g_per_kg) == proposed
    assert "SC regimen" in rec.reason or interval_days == 7
