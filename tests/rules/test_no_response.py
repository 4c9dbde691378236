"""No response and refractory disease (section 11 of the clinical rules)."""

from datetime import timedelta

from tests.builders.facts import START, course_days, day, facts, given, regimen, swings
from tracker.rules import RegimenFact, ScoreFact, SitePolicy, evaluate

POLICY = SitePolicy()
DAYS = course_days(START, 28, 4)  # 3 completed cycles, 4 courses


def grip(d, value, timing="clinic"):
    return ScoreFact(d, "grip_vigorimeter", "right", value, timing)


def no_response(**kwargs):
    patient = facts(
        regimens=kwargs.pop("regimens", (regimen(),)),
        courses=kwargs.pop("courses", given(DAYS)),
        **kwargs,
    )
    ev = evaluate(patient, on=kwargs.get("on_day", DAYS[-1] + timedelta(days=1)), policy=POLICY)
    return "no_response" in ev.flag_codes, ev


def test_three_courses_and_no_series_better_by_its_mcid_is_no_response():
    # Baseline 40 kPa before the first course; the best after it is 47, 7 better (MCID 8).
    found, ev = no_response(
        scores=(grip(START - timedelta(days=10), 40), grip(day(10), 47), grip(day(40), 44))
    )
    assert found
    flag = next(f for f in ev.flags if f.code == "no_response")
    assert "4 courses of the first regimen" in flag.detail


def test_a_series_better_by_its_mcid_is_a_response():
    found, _ = no_response(scores=(grip(START - timedelta(days=10), 40), grip(day(70), 48)))
    assert not found


def test_fewer_than_three_courses_of_the_first_regimen_is_too_early():
    found, _ = no_response(
        courses=given(DAYS[:2]), scores=(grip(START - timedelta(days=10), 40), grip(day(10), 41))
    )
    assert not found


def test_courses_of_a_later_regimen_do_not_count_for_the_first():
    regimens = (regimen(), RegimenFact(2, DAYS[2], 1.5, 28))
    found, _ = no_response(
        regimens=regimens, scores=(grip(START - timedelta(days=10), 40), grip(day(10), 41))
    )
    assert not found  # only DAYS[0] and DAYS[1] were given under the first regimen


def test_without_a_series_with_both_baseline_and_later_score_there_is_no_flag():
    # No score on or before the first course's day: nothing to compare with.
    found, _ = no_response(scores=(grip(day(10), 40), grip(day(40), 41)))
    assert not found


def test_the_baseline_is_the_latest_score_on_or_before_the_first_course():
    scores = (grip(START - timedelta(days=30), 30), grip(START, 40), grip(day(20), 45))
    found, _ = no_response(scores=scores)
    assert found  # 45 against the baseline 40, not the older 30


def test_a_score_on_the_first_course_day_is_baseline_not_improvement():
    found, _ = no_response(
        scores=(
            grip(START - timedelta(days=3), 40),
            grip(START, 60, "post_infusion"),
            grip(day(20), 41),
        )
    )
    assert found  # the 60 is on the day itself: it is the baseline, not a later score


def test_lower_is_better_measures_improve_downwards():
    onls = [
        ScoreFact(START - timedelta(days=3), "onls", None, 6, "clinic"),
        ScoreFact(day(30), "onls", None, 5, "clinic"),
    ]
    found, _ = no_response(scores=tuple(onls))
    assert not found  # ONLS 6 -> 5 is the MCID of 1


def test_scores_after_the_evaluation_day_are_ignored():
    scores = (grip(START - timedelta(days=10), 40), grip(day(10), 41), grip(day(200), 60))
    found, _ = no_response(scores=scores)
    assert found


def test_on_hold_patients_get_no_flag():
    found, _ = no_response(
        status="on_hold", scores=(grip(START - timedelta(days=10), 40), grip(day(10), 41))
    )
    assert not found


# --- refractory ---------------------------------------------------------------------------


def wearing(days):
    return swings(days, peak=60, trough=48)


def refractory(dose, interval, count=4, **kwargs):
    days = course_days(START, interval, count)
    patient = facts(
        regimens=(regimen(dose=dose, interval=interval),),
        courses=given(days),
        scores=wearing(days),
        **kwargs,
    )
    ev = evaluate(patient, on=days[-1] + timedelta(days=1), policy=POLICY)
    return "refractory" in ev.flag_codes, ev


def test_waning_at_the_cap_after_two_cycles_is_refractory():
    # 2.4 g/kg every 28 days is exactly the cap.
    found, ev = refractory(2.4, 28)
    assert "waning_response" in ev.flag_codes
    assert found
    assert ev.recommendation.action == "max_dose_reached"


def test_an_overridden_regimen_above_the_cap_counts():
    found, _ = refractory(2.0, 21)  # 2.67 g/kg per 28 days
    assert found


def test_below_the_cap_waning_is_not_refractory():
    found, ev = refractory(2.0, 28)
    assert "waning_response" in ev.flag_codes
    assert not found


def test_two_completed_cycles_of_the_regimen_are_needed():
    found, ev = refractory(2.4, 28, count=3)  # two completed cycles
    assert "waning_response" in ev.flag_codes and found
    found, ev = refractory(2.4, 28, count=2)  # one: not even waning
    assert not found


def test_no_waning_at_the_cap_is_not_refractory():
    days = course_days(START, 28, 5)
    patient = facts(
        regimens=(regimen(dose=2.4, interval=28),),
        courses=given(days),
        scores=swings(days, peak=60, trough=58),
    )
    ev = evaluate(patient, on=days[-1] + timedelta(days=1), policy=POLICY)
    assert "refractory" not in ev.flag_codes
