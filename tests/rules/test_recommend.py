"""The one recommended action (section 6) and the evaluation that carries it."""

from dataclasses import fields
from datetime import date, timedelta

import pytest

from tests.builders.facts import (
    START,
    booked,
    course_days,
    day,
    facts,
    given,
    regimen,
    reports,
    swings,
    troughs,
)
from tracker.rules import (
    Evaluation,
    Flag,
    PatientFacts,
    Recommendation,
    SitePolicy,
    evaluate,
    exceeds_intensity_cap,
)
from tracker.rules.prescription import carried_override_reason
from tracker.rules.recommend import escalated_dose_g_per_kg

POLICY = SitePolicy()


def wearing_off(days):
    """Right grip falls 12 kPa from peak to trough in every cycle."""
    return swings(days, peak=60, trough=48)


def steady(days):
    """Right grip falls 4 kPa, under the MCID, in every cycle."""
    return swings(days, peak=60, trough=56)


def declining(days):
    """MRC sum troughs 56, then 52 and 51 in the last two cycles."""
    values = [56] * (len(days) - 3) + [52, 51]
    return troughs(list(zip(days[1:], values, strict=True)))


def run(
    *, dose=1.0, interval=28, courses=5, scores=wearing_off, on=None, policy=POLICY, **kwargs
) -> Evaluation:
    """Evaluate a patient on one regimen from START with given courses and scores."""
    days = course_days(START, interval, courses)
    patient = facts(
        regimens=(regimen(START, dose, interval),),
        courses=given(days),
        scores=scores(days),
        **kwargs,
    )
    return evaluate(patient, on=on or days[-1] + timedelta(days=1), policy=policy)


def action(ev: Evaluation):
    r = ev.recommendation
    return None if r is None else (r.action, r.proposed_interval_days, r.proposed_dose_g_per_kg)


# --- 1. progressive waning ----------------------------------------------------------------


def test_progressive_waning_escalates_the_dose_by_a_quarter():
    ev = run(scores=declining)
    assert action(ev) == ("escalate_dose", None, 1.25)
    assert "MRC sum trough 52 and 51 points" in ev.recommendation.reason


def test_progressive_takes_precedence_over_end_of_dose():
    ev = run(scores=lambda d: wearing_off(d) + declining(d))
    assert action(ev) == ("escalate_dose", None, 1.25)
    assert ev.flags[0].patterns == ("end_of_dose", "progressive")


def test_escalation_is_capped_at_the_intensity_cap():
    # 2.0 x 1.25 = 2.5 g/kg every 28 days would exceed 2.4.
    assert action(run(dose=2.0, scores=declining)) == ("escalate_dose", None, 2.4)


def test_max_dose_reached_when_the_dose_is_at_the_cap():
    ev = run(dose=2.4, scores=declining)
    assert action(ev) == ("max_dose_reached", None, None)
    assert "2.4" in ev.recommendation.reason


def test_proposed_dose_is_rounded_half_up_to_2_decimals():
    # 0.9 x 1.25 = 1.125.
    assert action(run(dose=0.9, scores=declining)) == ("escalate_dose", None, 1.13)


def test_a_capped_dose_rounds_down_to_stay_within_the_cap():
    # At 19 days the cap is 1.62857 g/kg; 1.63 would exceed it.
    ev = run(dose=1.5, interval=19, scores=declining)
    assert action(ev) == ("escalate_dose", None, 1.62)
    assert not exceeds_intensity_cap(1.62, 19, POLICY)


def test_a_dose_at_the_cap_to_2_decimals_has_reached_the_maximum():
    assert action(run(dose=1.62, interval=19, scores=declining)) == ("max_dose_reached", None, None)


def test_escalated_dose_helper():
    assert escalated_dose_g_per_kg(1.0, 28, POLICY) == 1.25
    assert escalated_dose_g_per_kg(2.0, 28, POLICY) == 2.4
    assert escalated_dose_g_per_kg(2.4, 28, POLICY) is None
    assert escalated_dose_g_per_kg(2.6, 28, POLICY) is None  # above the cap by override


# --- 2. end-of-dose waning ----------------------------------------------------------------


def test_end_of_dose_shortens_the_interval_by_a_week():
    ev = run()
    assert action(ev) == ("shorten_interval", 21, None)
    assert "right grip (Vigorimeter) fell 12 kPa" in ev.recommendation.reason


def test_shorten_may_reach_exactly_the_cap():
    # 1.8 g/kg every 21 days is exactly 2.4 g/kg per 28 days.
    assert action(run(dose=1.8)) == ("shorten_interval", 21, None)


def test_shorten_refused_above_the_cap_then_escalate():
    # 1.85 g/kg every 21 days would be 2.47 g/kg per 28 days.
    ev = run(dose=1.85)
    assert action(ev) == ("escalate_dose", None, 2.31)
    assert "above the cap" in ev.recommendation.reason


def test_shorten_refused_above_the_cap_and_escalation_capped():
    assert action(run(dose=2.0)) == ("escalate_dose", None, 2.4)


def test_shorten_refused_below_the_shortest_interval_then_escalate():
    ev = run(interval=20)  # 13 days would be under 14
    assert action(ev) == ("escalate_dose", None, 1.25)
    assert "shortest interval" in ev.recommendation.reason
    # At 14 days the cap is 1.2 g/kg: 0.8 x 1.25 = 1.0 fits.
    assert action(run(dose=0.8, interval=14)) == ("escalate_dose", None, 1.0)
    assert action(run(dose=1.0, interval=14)) == ("escalate_dose", None, 1.2)


def test_end_of_dose_at_the_cap_and_the_shortest_interval_reaches_the_maximum():
    assert action(run(dose=1.2, interval=14)) == ("max_dose_reached", None, None)


def test_the_step_and_factor_come_from_the_policy():
    policy = SitePolicy(step_interval_days=4, escalate_factor=1.1)
    assert action(run(policy=policy)) == ("shorten_interval", 24, None)
    assert action(run(scores=declining, policy=policy)) == ("escalate_dose", None, 1.1)


def test_patient_bounds_are_used_for_shortening():
    assert action(run(min_interval_days=21)) == ("shorten_interval", 21, None)
    assert action(run(min_interval_days=22)) == ("escalate_dose", None, 1.25)


def test_reported_wear_off_alone_recommends_shortening():
    def reported(days):
        return reports([(d, 16) for d in days[1:]])

    ev = run(scores=reported)
    assert action(ev) == ("shorten_interval", 21, None)
    assert "day 16" in ev.recommendation.reason


# --- 3. taper -----------------------------------------------------------------------------


def test_stable_for_180_days_and_4_cycles_suggests_a_longer_interval():
    # Courses on days 0, 28, ..., 168: six cycles; on day 180 the regimen is 180 days old.
    ev = run(courses=7, scores=steady, on=day(180))
    assert action(ev) == ("consider_taper", 35, None)
    assert "waning_response" not in ev.flag_codes
    assert "6 cycles" in ev.recommendation.reason


def test_no_taper_before_180_days():
    assert run(courses=7, scores=steady, on=day(179)).recommendation is None


def test_no_taper_with_fewer_than_4_cycles_with_data():
    def three_with_data(days):
        return steady(days[:4])  # data for cycles 1 to 3 only

    def four_with_data(days):
        return steady(days[:5])

    assert run(courses=7, scores=three_with_data, on=day(180)).recommendation is None
    assert action(run(courses=7, scores=four_with_data, on=day(180)))[0] == "consider_taper"


def test_a_late_reported_wear_off_day_is_data_for_a_taper():
    def late_reports(days):
        return reports([(d, 25) for d in days[1:]])

    assert action(run(courses=7, scores=late_reports, on=day(180)))[0] == "consider_taper"


def test_one_wear_off_cycle_in_the_regimen_blocks_a_taper():
    def one_bad(days):
        return steady(days[2:]) + swings(days[:2], peak=60, trough=48)

    assert run(courses=7, scores=one_bad, on=day(180)).recommendation is None


def test_a_wear_off_cycle_that_ended_over_180_days_ago_does_not_block_a_taper():
    # "None of the counting cycles that ended in the last 180 days showed wear-off."
    def long_ago(days):
        return swings(days[:2], peak=60, trough=48) + steady(days[1:])

    # The wear-off cycle ended on day 28; 180 days later it still blocks, 181 it does not.
    assert run(courses=9, scores=long_ago, on=day(208)).recommendation is None
    assert action(run(courses=9, scores=long_ago, on=day(209)))[0] == "consider_taper"


def test_taper_by_dose_at_the_longest_interval():
    # Every 42 days: 0, 42, ..., 168, four cycles, 180 days on day 180.
    ev = run(interval=42, courses=5, scores=steady, on=day(180))
    assert action(ev) == ("consider_taper", None, 0.75)
    assert "lowering the dose" in ev.recommendation.reason


def test_taper_by_dose_when_a_week_more_would_pass_the_longest_interval():
    ev = run(interval=38, courses=6, scores=steady, on=day(190))
    assert action(ev) == ("consider_taper", None, 0.75)
    ev = run(interval=35, courses=6, scores=steady, on=day(180))
    assert action(ev) == ("consider_taper", 42, None)


def test_taper_dose_rounds_to_2_decimals():
    # 1.3 x 0.75 = 0.975 (0.97499... in floats) rounds half up.
    ev = run(dose=1.3, interval=42, courses=5, scores=steady, on=day(180))
    assert action(ev) == ("consider_taper", None, 0.98)


def test_a_taper_below_the_label_minimum_is_a_trial_off_with_no_values():
    # 0.9 x 0.75 = 0.68 g/kg every 42 days is 0.45 g/kg per 28 days, under the label's 0.5.
    ev = run(dose=0.9, interval=42, courses=5, scores=steady, on=day(180))
    assert action(ev) == ("consider_trial_off", None, None)
    assert "trial off" in ev.recommendation.reason
    assert "0.45 g/kg per 28 days" in ev.recommendation.reason


def test_a_taper_exactly_at_the_label_minimum_is_still_a_dose_taper():
    # 1.0 x 0.75 = 0.75 g/kg every 42 days is 0.5 g/kg per 28 days exactly.
    ev = run(dose=1.0, interval=42, courses=5, scores=steady, on=day(180))
    assert action(ev) == ("consider_taper", None, 0.75)


def test_a_trial_off_is_not_raised_again_once_dismissed():
    ev = run(
        dose=0.9,
        interval=42,
        courses=5,
        scores=steady,
        on=day(180),
        dismissed=frozenset({(1, "consider_trial_off")}),
    )
    assert ev.recommendation is None


def test_patient_max_interval_turns_a_taper_into_a_dose_taper():
    ev = run(interval=35, courses=6, scores=steady, on=day(180), max_interval_days=35)
    assert action(ev) == ("consider_taper", None, 0.75)


def test_taper_policy_values_are_used():
    policy = SitePolicy(taper_min_cycles=6, taper_stable_days=90)
    assert run(courses=6, scores=steady, on=day(150), policy=policy).recommendation is None
    assert action(run(courses=7, scores=steady, on=day(170), policy=policy))[0] == "consider_taper"


# --- 4. nothing ---------------------------------------------------------------------------


def test_no_data_no_action():
    assert run(scores=lambda d: ()).recommendation is None


# --- dismissal ----------------------------------------------------------------------------


def test_a_dismissed_action_is_not_raised_again_for_that_regimen():
    assert run(dismissed=frozenset({(1, "shorten_interval")})).recommendation is None


def test_dismissal_is_for_that_regimen_and_that_action_only():
    assert action(run(dismissed=frozenset({(2, "shorten_interval")})))[0] == "shorten_interval"
    assert action(run(dismissed=frozenset({(1, "escalate_dose")})))[0] == "shorten_interval"


def test_a_dismissed_action_does_not_hide_the_flag():
    ev = run(dismissed=frozenset({(1, "shorten_interval")}))
    assert ev.flag_codes == ("waning_response",)


def test_a_new_regimen_can_raise_a_dismissed_action_again():
    days = course_days(START, 28, 8)
    patient = facts(
        regimens=(regimen(START, 1.0, 28, 1), regimen(days[3], 1.0, 28, 2)),
        courses=given(days),
        scores=wearing_off(days),
        dismissed=frozenset({(1, "shorten_interval")}),
    )
    ev = evaluate(patient, on=days[-1] + timedelta(days=1), policy=POLICY)
    assert ev.regimen_id == 2
    assert action(ev) == ("shorten_interval", 21, None)


# --- a new regimen starts afresh ----------------------------------------------------------


def test_a_new_regimen_starts_a_fresh_evaluation():
    days = course_days(START, 28, 5)
    new = regimen(days[-1], 1.0, 21, regimen_id=2)
    patient = facts(
        regimens=(regimen(START, 1.0, 28, 1), new),
        courses=given(days),
        scores=wearing_off(days),
    )
    ev = evaluate(patient, on=days[-1], policy=POLICY)
    assert ev.regimen_id == 2
    assert ev.recommendation is None
    assert "waning_response" not in ev.flag_codes
    assert ev.due_on == days[-1] + timedelta(days=21)


# --- the evaluation around the recommendation ---------------------------------------------


def test_flags_in_the_contract_order():
    days = course_days(date(2025, 1, 6), 28, 5)
    patient = PatientFacts(
        regimens=(regimen(days[0]),), courses=given(days), scores=wearing_off(days)
    )
    ev = evaluate(patient, on=days[-1] + timedelta(days=200), policy=POLICY)
    assert ev.flag_codes == (
        "overdue",
        "needs_booking",
        "waning_response",
        "review_due",
        "weight_stale",
    )
    late = evaluate(
        PatientFacts(
            regimens=(regimen(days[0]),),
            courses=given(days) + (booked(days[-1] + timedelta(days=100)),),
            scores=wearing_off(days),
        ),
        on=days[-1] + timedelta(days=10),
        policy=POLICY,
    )
    assert late.flag_codes == ("booking_outside_window", "waning_response", "weight_stale")


def test_needs_booking_names_the_window_until_it_closes_then_asks_for_the_soonest_day():
    # Once closed, "book for" a window of past days named days that cannot be booked.
    days = course_days(date(2025, 1, 6), 28, 5)
    patient = PatientFacts(regimens=(regimen(days[0]),), courses=given(days))
    due = days[-1] + timedelta(days=28)
    in_window = evaluate(patient, on=due - timedelta(days=1), policy=POLICY)
    window = f"{in_window.window_start} to {in_window.window_end}"
    (detail,) = [f.detail for f in in_window.flags if f.code == "needs_booking"]
    assert detail == f"book for {window}"
    closed = evaluate(patient, on=in_window.window_end + timedelta(days=1), policy=POLICY)
    (detail,) = [f.detail for f in closed.flags if f.code == "needs_booking"]
    assert detail == (
        f"the window closed on {in_window.window_end}: book the next course as soon as possible"
    )


@pytest.mark.parametrize("status", ["on_hold", "discharged"])
def test_a_patient_on_hold_or_discharged_gets_no_flags_and_no_action(status):
    ev = run(status=status, weight_dates=(), on=day(400))
    assert ev.flags == ()
    assert ev.recommendation is None
    assert ev.due_on == day(4 * 28 + 28)  # the schedule is still shown
    assert ev.overdue_from is None and ev.needs_booking_from is None
    assert ev.weight_stale_from is None and ev.review_due_from is None


def test_an_unknown_patient_status_is_refused():
    with pytest.raises(ValueError):
        run(status="paused")


def test_a_patient_with_no_regimen_has_null_dates_and_no_flags():
    ev = evaluate(PatientFacts(courses=given([START])), on=day(300), policy=POLICY)
    assert ev.regimen_id is None
    assert (ev.due_on, ev.window_start, ev.window_end) == (None, None, None)
    assert ev.flags == () and ev.recommendation is None
    assert ev.to_schedule_dict() == {
        "on": day(300).isoformat(),
        "regimen_id": None,
        "due_on": None,
        "window_start": None,
        "window_end": None,
        "next_booking": None,
        "flags": [],
        "recommendation": None,
    }


def test_a_first_regimen_in_the_future_can_be_booked_ahead():
    ev = evaluate(facts(regimens=(regimen(day(10)),)), on=START, policy=POLICY)
    assert (ev.due_on, ev.window_start, ev.window_end) == (day(10), day(10), day(13))
    assert ev.flag_codes == ("needs_booking",)
    assert ev.recommendation is None


def test_schedule_dict_has_the_contract_shape():
    days = course_days(START, 28, 5)
    ev = evaluate(
        facts(
            regimens=(regimen(),),
            courses=given(days) + (booked(days[-1] + timedelta(days=28), 41),),
            scores=wearing_off(days),
        ),
        on=days[-1] + timedelta(days=1),
        policy=POLICY,
    )
    out = ev.to_schedule_dict()
    due = days[-1] + timedelta(days=28)
    assert out["regimen_id"] == 1
    assert out["due_on"] == due.isoformat()
    assert out["window_start"] == (due - timedelta(days=3)).isoformat()
    assert out["window_end"] == (due + timedelta(days=3)).isoformat()
    assert out["next_booking"] == {"id": 41, "scheduled_on": due.isoformat()}
    assert out["flags"] == [{"code": "waning_response", "patterns": ["end_of_dose"]}]
    assert out["recommendation"]["action"] == "shorten_interval"
    assert out["recommendation"]["proposed_interval_days"] == 21
    assert out["recommendation"]["proposed_dose_g_per_kg"] is None
    assert out["recommendation"]["reason"]
    assert "patient_id" not in out


def test_the_names_other_code_is_written_against():
    # The web, the sweep and the CLI construct and read these by name.
    names = [f.name for f in fields(Evaluation)]
    assert names[:13] == [
        "on",
        "regimen_id",
        "due_on",
        "window_start",
        "window_end",
        "next_booking",
        "flags",
        "recommendation",
        "needs_booking_from",
        "overdue_from",
        "review_due_from",
        "next_review_on",
        "weight_stale_from",
    ]
    assert [f.name for f in fields(PatientFacts)] == [
        "status",
        "regimens",
        "courses",
        "scores",
        "review_dates",
        "weight_dates",
        "min_interval_days",
        "max_interval_days",
        "dismissed",
        "resumed_on",
        "authorizations",
        "course_doses",
    ]
    assert [f.name for f in fields(Recommendation)] == [
        "action",
        "proposed_interval_days",
        "proposed_dose_g_per_kg",
        "reason",
    ]
    assert [f.name for f in fields(Flag)] == ["code", "patterns", "detail"]
    assert Flag("overdue") == Flag(code="overdue", patterns=(), detail="")


# --- accepting keeps an override where the proposal still needs it -------------------------


def test_a_taper_of_a_regimen_above_the_cap_keeps_its_override_reason():
    # The case: 2.0 g/kg every 21 days (2.67 per 28 days) prescribed with an override;
    # the taper to 28 days gives 2.0 per 28 days, within the cap: nothing is carried.
    within = carried_override_reason(
        regimen(dose=2.0, interval=28), current_override_reason="refractory", policy=POLICY
    )
    assert within is None
    # 2.2 g/kg: the taper to 28 days is 2.2, still within; at 3.0 g/kg it is 3.0, above.
    above = carried_override_reason(
        regimen(dose=3.0, interval=28), current_override_reason="refractory", policy=POLICY
    )
    assert above == "refractory"


def test_the_accepted_interval_outside_the_patients_bounds_keeps_the_reason():
    policy = SitePolicy().with_patient_bounds(21, 28)
    assert (
        carried_override_reason(regimen(interval=35), current_override_reason="why", policy=policy)
        == "why"
    )


def test_max_dose_reached_above_the_cap_says_it_is_above_not_at_it():
    ev = run(dose=2.0, interval=21, scores=wearing_off)
    assert action(ev) == ("max_dose_reached", None, None)
    assert "is already above the cap of 2.4 g/kg per 28 days" in ev.recommendation.reason
    at_cap = run(dose=2.4, interval=28, scores=wearing_off)
    assert "is already the most the cap of 2.4 g/kg per 28 days allows" in (
        at_cap.recommendation.reason
    )
