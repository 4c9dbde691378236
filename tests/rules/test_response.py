"""Cycles, peaks, troughs, wear-off and waning (section 5 of the clinical rules)."""

from datetime import timedelta

from tests.builders.facts import START, course_days, day, reports, swings, troughs
from tracker.rules import RegimenFact, ScoreFact, SitePolicy, assess_response
from tracker.rules.cycles import plan_cycles

POLICY = SitePolicy()
S = course_days(START, 28, 8)  # S[0] .. S[7], 28 days apart


def assess(
    scores,
    days=None,
    regimen_start=START,
    on=None,
    policy=POLICY,
    *,
    interval=28,
    lengths=None,
    regimens=None,
    resumed_on=None,
):
    """Assess scores over given courses on `days` (1 day long unless `lengths` says), under
    one regimen of `interval` days from START unless `regimens` are given."""
    days = S if days is None else days
    on = on or max(days) + timedelta(days=1)
    regimens = regimens or (RegimenFact(1, min(START, *days), 1.0, interval),)
    plan = plan_cycles(
        [(d.toordinal(), n) for d, n in zip(days, lengths or [1] * len(days), strict=True)],
        regimens=regimens,
        on_ordinal=on.toordinal(),
        tolerance_days=policy.due_tolerance_days,
        resumed_on=resumed_on,
    )
    return assess_response(
        scores=[s for s in scores if s.taken_on <= on],
        plan=plan,
        regimen_starts_on=regimen_start,
        on=on,
        policy=policy,
    )


def score(d, value, timing, measure="grip_vigorimeter", side="right"):
    return ScoreFact(d, measure, side, value, timing)


# --- cycles -------------------------------------------------------------------------------


def test_cycles_run_from_course_to_course_and_the_open_one_is_not_complete():
    result = assess([], days=S[:3])
    assert [(c.starts_on, c.ends_on) for c in result.cycles] == [(S[0], S[1]), (S[1], S[2])]
    assert [c.number for c in result.cycles] == [1, 2]
    assert result.cycles[0].length_days == 28


def test_courses_are_taken_in_date_order_and_later_courses_are_ignored():
    result = assess([], days=[S[2], S[0], S[1], S[3]], on=S[2])
    assert [c.starts_on for c in result.cycles] == [S[0], S[1]]


# --- peak ---------------------------------------------------------------------------------


def test_a_post_infusion_score_on_the_course_day_is_no_peak():
    # "A score on a course day, before the IVIG has acted, is no peak."
    result = assess([score(S[0], 60, "post_infusion"), score(S[1], 50, "pre_infusion")], S[:2])
    assert result.cycles[0].swings == ()
    assert result.cycles[0].peaks == ()


def test_the_peak_is_the_best_post_infusion_score_after_the_course():
    scores = [
        score(S[0] + timedelta(days=1), 60, "post_infusion"),
        score(S[0] + timedelta(days=9), 64, "post_infusion"),
        score(S[1], 50, "pre_infusion"),
    ]
    (swing,) = assess(scores, S[:2]).cycles[0].swings
    assert (swing.peak.value, swing.trough.value, swing.drop) == (64, 50, 14)


def test_a_multi_day_course_has_no_peak_before_its_last_day():
    # A 3-day course from S[0]: days S[0], S[0]+1 and S[0]+2 are course days.
    scores = [
        score(S[0] + timedelta(days=2), 70, "post_infusion"),
        score(S[0] + timedelta(days=3), 61, "post_infusion"),
        score(S[1], 50, "pre_infusion"),
    ]
    (swing,) = assess(scores, S[:2], lengths=[3, 1]).cycles[0].swings
    assert swing.peak.value == 61


def test_a_post_infusion_score_on_the_next_course_day_is_no_peak_of_either_cycle():
    scores = [
        score(S[0] + timedelta(days=1), 52, "post_infusion"),
        score(S[1], 48, "pre_infusion"),
        score(S[1], 70, "post_infusion"),
        score(S[2], 60, "pre_infusion"),
    ]
    first, second = assess(scores, S[:3]).cycles
    assert first.swings[0].peak.value == 52
    assert not first.wear_off  # 52 -> 48 is under the MCID; 70 -> 48 would not be
    assert second.swings == ()  # the 70 was taken on S[1], a course day
    assert not second.wear_off


def test_the_best_post_infusion_score_of_the_cycle_is_the_peak():
    scores = [
        score(S[0], 55, "post_infusion"),
        score(S[0] + timedelta(days=7), 62, "post_infusion"),
        score(S[0] + timedelta(days=14), 58, "post_infusion"),
        score(S[1], 50, "pre_infusion"),
    ]
    assert assess(scores, S[:2]).cycles[0].swings[0].peak.value == 62


def test_for_lower_is_better_measures_the_lowest_score_is_the_peak():
    scores = [
        score(S[0], 3, "post_infusion", "incat", None),
        score(S[0] + timedelta(days=3), 2, "post_infusion", "incat", None),
        score(S[1], 4, "pre_infusion", "incat", None),
    ]
    (swing,) = assess(scores, S[:2]).cycles[0].swings
    assert swing.peak.value == 2
    assert swing.drop == 2


# --- trough -------------------------------------------------------------------------------


def test_trough_window_is_the_3_days_up_to_the_next_course():
    def trough_of(days_before):
        scores = [
            score(S[0], 60, "post_infusion"),
            score(S[1] - timedelta(days=days_before), 50, "pre_infusion"),
        ]
        return assess(scores, S[:2]).cycles[0].troughs

    assert trough_of(3)[0].value == 50
    assert trough_of(0)[0].value == 50
    assert trough_of(4) == ()


def test_the_last_pre_infusion_score_in_the_window_is_the_trough():
    scores = [
        score(S[0], 60, "post_infusion"),
        score(S[1] - timedelta(days=2), 40, "pre_infusion"),
        score(S[1], 55, "pre_infusion"),
    ]
    assert assess(scores, S[:2]).cycles[0].troughs[0].value == 55


def test_trough_window_follows_the_policy():
    scores = [
        score(S[0] + timedelta(days=1), 60, "post_infusion"),
        score(S[1] - timedelta(days=5), 50, "pre_infusion"),
    ]
    assert assess(scores, S[:2], policy=SitePolicy(trough_window_days=5)).cycles[0].swings
    assert not assess(scores, S[:2]).cycles[0].swings


def test_clinic_scores_are_neither_peak_nor_trough():
    scores = [score(S[0], 70, "clinic"), score(S[1] - timedelta(days=1), 40, "clinic")]
    cycle = assess(scores, S[:2]).cycles[0]
    assert cycle.swings == () and cycle.troughs == ()
    assert not cycle.has_data


def test_sides_are_separate_series():
    scores = [
        score(S[0], 70, "post_infusion", side="left"),
        score(S[1], 50, "pre_infusion", side="right"),
    ]
    cycle = assess(scores, S[:2]).cycles[0]
    assert cycle.swings == ()
    assert not cycle.wear_off


# --- wear-off -----------------------------------------------------------------------------


def test_wear_off_at_exactly_the_mcid_and_not_below():
    at = assess(swings(S[:2], peak=58, trough=50), S[:2]).cycles[0]
    below = assess(swings(S[:2], peak=57, trough=50), S[:2]).cycles[0]
    assert at.wear_off
    assert not below.wear_off
    assert below.has_data


def test_wear_off_despite_float_error_at_the_mcid():
    assert assess(swings(S[:2], peak=48.3, trough=40.3), S[:2]).cycles[0].wear_off


def test_each_measure_uses_its_own_mcid():
    # 5 kg on a dynamometer is under its MCID of 6; 2 MRC points reach the MRC MCID.
    dyn = swings(S[:2], peak=35, trough=30, measure="grip_dynamometer", side="left")
    mrc = swings(S[:2], peak=58, trough=56, measure="mrc_sum", side=None)
    assert not assess(dyn, S[:2]).cycles[0].wear_off
    assert assess(mrc, S[:2]).cycles[0].wear_off


def test_incat_rising_from_peak_to_trough_is_wear_off():
    worse = swings(S[:2], peak=2, trough=3, measure="incat", side=None)
    better = swings(S[:2], peak=3, trough=2, measure="incat", side=None)
    assert assess(worse, S[:2]).cycles[0].wear_off
    assert not assess(better, S[:2]).cycles[0].wear_off


def test_onls_rising_from_peak_to_trough_is_wear_off():
    worse = swings(S[:2], peak=3, trough=4, measure="onls", side=None)
    better = swings(S[:2], peak=4, trough=3, measure="onls", side=None)
    assert assess(worse, S[:2]).cycles[0].wear_off
    assert not assess(better, S[:2]).cycles[0].wear_off


def test_a_reported_wear_off_day_a_week_before_the_next_course_counts():
    # A 28-day cycle: day 21 is 7 days before the next course, day 22 only 6.
    early = assess(reports([(S[1], 21)]), S[:2]).cycles[0]
    late = assess(reports([(S[1], 22)]), S[:2]).cycles[0]
    assert early.wear_off and early.reported_wear_off_day == 21
    assert not late.wear_off
    assert late.has_data  # a report is data even without wear-off


def test_a_reported_day_is_measured_against_the_interval_then_prescribed():
    # Prescribed every 21 days, the next course came on day 24 (late, within tolerance):
    # day 16 is 8 days before the cycle's end but only 5 before the course was due.
    days = [S[0], S[0] + timedelta(days=24)]
    cycle = assess(reports([(days[1], 16)]), days, interval=21).cycles[0]
    assert cycle.interval_days == 21
    assert not cycle.wear_off
    assert assess(reports([(days[1], 14)]), days, interval=21).cycles[0].wear_off


def test_the_shorter_of_the_cycle_and_the_interval_bounds_the_report():
    # Prescribed every 28 days, the next course came early on day 21: day 15 is 6 days
    # before it, so it does not count, though it is 13 days before day 28.
    days = [S[0], S[0] + timedelta(days=21)]
    assert not assess(reports([(days[1], 15)]), days).cycles[0].wear_off
    assert assess(reports([(days[1], 14)]), days).cycles[0].wear_off


def test_a_late_cycle_is_not_evaluated():
    # Every 28 days with a tolerance of 3: a cycle of 31 days is evaluated, one of 32 is not.
    for length, evaluated in ((31, True), (32, False)):
        days = [S[0], S[0] + timedelta(days=length)]
        scores = (
            swings(days, peak=60, trough=40) + troughs([(days[1], 40)]) + reports([(days[1], 3)])
        )
        cycle = assess(scores, days).cycles[0]
        assert cycle.evaluated is evaluated
        assert cycle.has_data is evaluated
        assert cycle.wear_off is evaluated


def test_a_late_cycle_does_not_count_among_the_last_cycles_with_data():
    days = [S[0], S[1], S[2], S[2] + timedelta(days=40)]
    scores = swings(days, peak=60, trough=48)
    result = assess(scores, days)
    assert [c.evaluated for c in result.cycles] == [True, True, False]
    assert result.end_of_dose
    assert [c.number for c in result.end_of_dose_cycles] == [1, 2]


def test_the_cycle_that_spans_a_hold_is_not_evaluated():
    days = [S[0], S[1], S[1] + timedelta(days=28)]
    scores = swings(days, peak=60, trough=48)
    result = assess(scores, days, resumed_on=S[1] + timedelta(days=27))
    assert [c.evaluated for c in result.cycles] == [True, False]
    assert not result.cycles[1].has_data


def test_recent_wear_off_is_about_cycles_that_ended_in_the_stable_period():
    scores = swings(S[:2], peak=60, trough=48) + swings(S[1:8], peak=60, trough=57)
    # The one wear-off cycle ended on S[1], day 28.
    assert assess(scores, S, on=S[1] + timedelta(days=180)).recent_wear_off
    assert not assess(scores, S, on=S[1] + timedelta(days=181)).recent_wear_off


def test_the_margin_comes_from_the_policy():
    policy = SitePolicy(reported_wear_off_margin_days=3)
    assert assess(reports([(S[1], 25)]), S[:2], policy=policy).cycles[0].wear_off


def test_a_report_on_a_course_day_is_about_the_cycle_that_just_ended():
    result = assess(reports([(S[1], 14)]), S[:3])
    assert result.cycles[0].wear_off
    assert not result.cycles[1].wear_off


def test_the_earliest_report_in_a_cycle_is_kept():
    result = assess(reports([(S[0] + timedelta(days=20), 25), (S[1], 15)]), S[:2])
    assert result.cycles[0].reported_wear_off_day == 15


# --- end-of-dose waning -------------------------------------------------------------------


def test_end_of_dose_when_the_last_2_cycles_wear_off():
    result = assess(swings(S[:3], peak=60, trough=48), S[:3])
    assert result.end_of_dose
    assert result.patterns == ("end_of_dose",)
    assert result.describe_end_of_dose() == (
        "right grip (Vigorimeter) fell 12 kPa from peak to trough in each of the last 2 cycles"
    )


def test_a_single_wear_off_cycle_is_not_enough():
    scores = swings(S[:2], peak=60, trough=48) + swings(S[1:3], peak=60, trough=58)
    assert not assess(scores, S[:3]).end_of_dose
    scores = swings(S[:2], peak=60, trough=58) + swings(S[1:3], peak=60, trough=48)
    assert not assess(scores, S[:3]).end_of_dose


def test_the_last_cycles_must_be_the_ones_wearing_off():
    scores = swings(S[:3], peak=60, trough=48) + swings(S[2:4], peak=60, trough=58)
    assert not assess(scores, S[:4]).end_of_dose


def test_a_cycle_without_data_is_passed_over():
    # "The last 2 completed counting cycles with data": a cycle with no peak and trough and
    # no report says nothing, so the two around it are the last two with data.
    scores = swings(S[:2], peak=60, trough=48) + swings(S[2:4], peak=60, trough=48)
    result = assess(scores, S[:4])
    assert [c.wear_off for c in result.cycles] == [True, False, True]
    assert [c.has_data for c in result.cycles] == [True, False, True]
    assert result.end_of_dose
    assert [c.number for c in result.end_of_dose_cycles] == [1, 3]


def test_a_cycle_with_data_and_no_wear_off_breaks_the_run():
    scores = (
        swings(S[:2], peak=60, trough=48)
        + swings(S[1:3], peak=60, trough=56)
        + swings(S[2:4], peak=60, trough=48)
    )
    result = assess(scores, S[:4])
    assert [c.wear_off for c in result.cycles] == [True, False, True]
    assert not result.end_of_dose


def test_reports_and_measurements_combine_across_cycles():
    scores = swings(S[:2], peak=60, trough=48) + reports([(S[2], 14)])
    result = assess(scores, S[:3])
    assert result.end_of_dose
    text = result.describe_end_of_dose()
    assert "fell 12 kPa" in text and "day 14" in text


def test_reported_wear_off_describes_the_days():
    result = assess(reports([(S[1], 14), (S[2], 18)]), S[:3])
    assert result.end_of_dose
    assert result.describe_end_of_dose() == (
        "the patient reported the effect wearing off on day 14 and 18 of the last 2 cycles "
        "(each 28 days long)"
    )


def test_different_drops_are_listed():
    scores = swings(S[:2], peak=60, trough=48) + swings(S[1:3], peak=60, trough=50)
    assert assess(scores, S[:3]).describe_end_of_dose() == (
        "right grip (Vigorimeter) fell 12 and 10 kPa from peak to trough in the last 2 cycles"
    )


def test_incat_wear_off_reads_as_a_rise():
    scores = swings(S[:3], peak=2, trough=4, measure="incat", side=None)
    assert assess(scores, S[:3]).describe_end_of_dose() == (
        "INCAT rose 2 points from peak to trough in each of the last 2 cycles"
    )


def test_wear_off_cycles_follows_the_policy():
    policy = SitePolicy(wear_off_cycles=3)
    assert not assess(swings(S[:3], 60, 48), S[:3], policy=policy).end_of_dose
    assert assess(swings(S[:4], 60, 48), S[:4], policy=policy).end_of_dose


def test_cycles_before_the_current_regimen_do_not_count():
    # Wear-off in the two cycles before the regimen that started on S[2]; none after.
    scores = swings(S[:3], peak=60, trough=48)
    result = assess(scores, S[:4], regimen_start=S[2])
    assert [c.counting for c in result.cycles] == [False, False, True]
    assert not result.end_of_dose
    # With one new wear-off cycle only, still not enough.
    scores += swings(S[2:4], peak=60, trough=48)
    assert not assess(scores, S[:4], regimen_start=S[2]).end_of_dose
    assert assess(scores, S[:4], regimen_start=S[1]).end_of_dose


def test_a_course_on_the_regimen_start_day_opens_a_counting_cycle():
    result = assess([], S[:3], regimen_start=S[1])
    assert [c.counting for c in result.cycles] == [False, True]


# --- progressive waning -------------------------------------------------------------------


def test_progressive_waning_worked_example():
    scores = troughs([(S[1], 56), (S[2], 55), (S[3], 52), (S[4], 51)])
    result = assess(scores, S[:5])
    assert result.patterns == ("progressive",)
    (finding,) = result.progressive
    assert finding.reference.value == 56
    assert finding.shortfalls == (4, 5)
    assert result.describe_progressive() == (
        "MRC sum trough 52 and 51 points, 4 and 5 below the best trough of 56 in the year before"
    )


def test_each_of_the_two_troughs_must_fall_by_the_mcid():
    exactly = troughs([(S[1], 56), (S[2], 54), (S[3], 54)])
    assert assess(exactly, S[:4]).progressive
    only_last = troughs([(S[1], 56), (S[2], 55), (S[3], 50)])
    assert not assess(only_last, S[:4]).progressive


def test_the_reference_must_be_from_the_year_before():
    old = S[1] - timedelta(days=400)
    days = [old - timedelta(days=28), old, *S[:4]]
    scores = troughs([(old, 60), (S[2], 52), (S[3], 51)])
    assert not assess(scores, days).progressive
    scores += troughs([(S[1], 55)])
    (finding,) = assess(scores, days).progressive
    assert finding.reference.value == 55


def test_the_lookback_reaches_exactly_365_days_before_the_earlier_trough():
    def progressive_with_reference_days_before(n):
        ref = S[2] - timedelta(days=n)
        days = [ref - timedelta(days=28), ref, *S[:4]]
        scores = troughs([(ref, 60), (S[2], 52), (S[3], 51)])
        return assess(scores, days).progressive

    assert progressive_with_reference_days_before(365)
    assert not progressive_with_reference_days_before(366)


def test_the_reference_may_come_from_before_the_current_regimen():
    # The regimen changed at S[3]; its two troughs are still compared with the 56 of before.
    scores = troughs([(S[1], 56), (S[4], 52), (S[5], 51)])
    (finding,) = assess(scores, S[:6], regimen_start=S[3]).progressive
    assert finding.reference.taken_on == S[1]


def test_progressive_needs_two_troughs_of_the_current_regimen():
    scores = troughs([(S[1], 56), (S[4], 52), (S[5], 51)])
    assert not assess(scores, S[:6], regimen_start=S[4]).progressive


def test_progressive_for_a_lower_is_better_measure():
    scores = troughs([(S[1], 1), (S[2], 2), (S[3], 3)], measure="onls")
    result = assess(scores, S[:4])
    assert result.progressive
    assert result.describe_progressive() == (
        "ONLS trough 2 and 3 points, 1 and 2 above the best trough of 1 in the year before"
    )
    improving = troughs([(S[1], 3), (S[2], 2), (S[3], 1)], measure="onls")
    assert not assess(improving, S[:4]).progressive


def test_progressive_per_grip_side():
    scores = troughs([(S[1], 60), (S[2], 50), (S[3], 50)], "grip_vigorimeter", "left") + troughs(
        [(S[1], 60), (S[2], 59), (S[3], 58)], "grip_vigorimeter", "right"
    )
    (finding,) = assess(scores, S[:4]).progressive
    assert finding.reference.side == "left"
    assert finding.describe().startswith("left grip (Vigorimeter) trough 50 and 50 kPa, 10 and 10")


def test_both_patterns_end_of_dose_first():
    scores = swings(S[:5], peak=60, trough=48) + troughs(
        [(S[1], 56), (S[2], 56), (S[3], 52), (S[4], 51)]
    )
    assert assess(scores, S[:5]).patterns == ("end_of_dose", "progressive")


def test_scores_after_the_day_and_unknown_measures_are_ignored():
    scores = [
        *swings(S[:3], peak=60, trough=48),
        ScoreFact(S[1], "hand_dexterity", None, 3, "pre_infusion"),
    ]
    assert assess(scores, S[:3]).end_of_dose
    assert not assess(scores, S[:3], on=S[1]).end_of_dose
    assert len(assess(scores, S[:3], on=day(30)).cycles) == 1
