"""Diagnosis by the EFNS/PNS criteria (section 7 of the clinical rules), sentence by sentence."""

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules.diagnosis import (
    CLASS_ORDER,
    COUNT_FINDINGS,
    EXCLUSIONS,
    FINDINGS,
    SUPPORTIVE,
    Classification,
    CriterionStatus,
    Findings,
    FindingSource,
    ScoreReading,
    Settlement,
    classify_known,
    diagnose,
    fillings,
    improved_after_ivig,
    one_calendar_month_after,
    settle,
    weakness_over_1_month,
)

EXCLUDED, DEFINITE, PROBABLE, NOT_MET, INCOMPLETE = (
    Classification.EXCLUDED,
    Classification.DEFINITE,
    Classification.PROBABLE,
    Classification.NOT_MET,
    Classification.INCOMPLETE,
)

# Every finding known: definite, with no supportive criterion and no exclusion.
DEFINITE_CASE = Findings(
    weak_nerves=2,
    weakness_over_1_month=True,
    definite_block_nerves=1,
    probable_block_segments=0,
    sensory_conduction_normal=True,
    anti_gm1_igm_raised=False,
    csf_protein_raised=False,
    mri_plexus_t2=False,
    improved_after_ivig=False,
    upper_motor_neuron_signs=False,
    marked_bulbar=False,
    sensory_beyond_minor_vibration=False,
    diffuse_symmetric_early_weakness=False,
)
# Probable by the first way: 2 weak nerves and 2 segments with probable block.
PROBABLE_BY_SEGMENTS = replace(DEFINITE_CASE, definite_block_nerves=0, probable_block_segments=2)
# Probable by the second way: 1 weak nerve, 1 segment, 2 supportive criteria.
PROBABLE_BY_SUPPORT = replace(
    DEFINITE_CASE,
    weak_nerves=1,
    definite_block_nerves=0,
    probable_block_segments=1,
    anti_gm1_igm_raised=True,
    mri_plexus_t2=True,
)


def test_the_findings_are_listed_in_section_7s_order():
    assert FINDINGS == (
        "weak_nerves",
        "weakness_over_1_month",
        "definite_block_nerves",
        "probable_block_segments",
        "sensory_conduction_normal",
        "anti_gm1_igm_raised",
        "csf_protein_raised",
        "mri_plexus_t2",
        "improved_after_ivig",
        "upper_motor_neuron_signs",
        "marked_bulbar",
        "sensory_beyond_minor_vibration",
        "diffuse_symmetric_early_weakness",
    )
    assert Findings().unknowns() == FINDINGS  # every finding may be unknown
    assert [c.value for c in CLASS_ORDER] == ["excluded", "definite", "probable", "not_met"]


# ---- 1. excluded ----------------------------------------------------------------------------


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_any_exclusion_that_is_true_excludes_even_definite_findings(exclusion):
    assert classify_known(replace(DEFINITE_CASE, **{exclusion: True})) == EXCLUDED
    assert classify_known(replace(PROBABLE_BY_SUPPORT, **{exclusion: True})) == EXCLUDED


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_one_true_exclusion_settles_the_class_whatever_else_is_unknown(exclusion):
    settled = settle(Findings(**{exclusion: True}))
    assert settled == Settlement(EXCLUDED, (EXCLUDED,), ())


# ---- 2. definite ----------------------------------------------------------------------------


def test_definite_needs_2_weak_nerves_a_month_a_definite_block_and_normal_sensory_studies():
    assert classify_known(DEFINITE_CASE) == DEFINITE
    assert classify_known(replace(DEFINITE_CASE, weak_nerves=7, definite_block_nerves=5)) == (
        DEFINITE
    )  # counts above the thresholds are as good as 2 and 1


@pytest.mark.parametrize(
    "change",
    [
        {"weak_nerves": 1},  # the threshold is 2
        {"weakness_over_1_month": False},
        {"definite_block_nerves": 0},  # the threshold is 1
        {"sensory_conduction_normal": False},
    ],
)
def test_definite_fails_just_below_each_threshold(change):
    assert classify_known(replace(DEFINITE_CASE, **change)) == NOT_MET


def test_definite_comes_before_probable_when_both_hold():
    both = replace(
        DEFINITE_CASE, probable_block_segments=2, anti_gm1_igm_raised=True, csf_protein_raised=True
    )
    assert classify_known(both) == DEFINITE


# ---- 3. probable ----------------------------------------------------------------------------


def test_probable_by_two_weak_nerves_and_two_segments_of_probable_block():
    assert classify_known(PROBABLE_BY_SEGMENTS) == PROBABLE
    assert classify_known(replace(PROBABLE_BY_SEGMENTS, probable_block_segments=1)) == NOT_MET
    assert classify_known(replace(PROBABLE_BY_SEGMENTS, weak_nerves=1)) == NOT_MET
    # A month of weakness is not needed for probable.
    assert classify_known(replace(PROBABLE_BY_SEGMENTS, weakness_over_1_month=False)) == PROBABLE


def test_probable_by_one_weak_nerve_one_segment_and_two_supportive_criteria():
    assert classify_known(PROBABLE_BY_SUPPORT) == PROBABLE
    assert classify_known(replace(PROBABLE_BY_SUPPORT, mri_plexus_t2=False)) == NOT_MET
    assert classify_known(replace(PROBABLE_BY_SUPPORT, weak_nerves=0)) == NOT_MET
    assert classify_known(replace(PROBABLE_BY_SUPPORT, probable_block_segments=0)) == NOT_MET


@pytest.mark.parametrize("pair", list(itertools.combinations(SUPPORTIVE, 2)))
def test_any_two_supportive_criteria_are_enough(pair):
    base = replace(PROBABLE_BY_SUPPORT, **{name: False for name in SUPPORTIVE})
    assert classify_known(base) == NOT_MET
    assert classify_known(replace(base, **dict.fromkeys(pair, True))) == PROBABLE


@pytest.mark.parametrize("case", [PROBABLE_BY_SEGMENTS, PROBABLE_BY_SUPPORT])
def test_probable_needs_normal_sensory_studies_and_no_exclusion(case):
    assert classify_known(replace(case, sensory_conduction_normal=False)) == NOT_MET
    assert classify_known(replace(case, marked_bulbar=True)) == EXCLUDED


# ---- 4. not met -----------------------------------------------------------------------------


def test_not_met_when_nothing_holds():
    nothing = Findings(**{name: (0 if name in COUNT_FINDINGS else False) for name in FINDINGS})
    assert classify_known(nothing) == NOT_MET


def test_classify_known_refuses_unknown_findings():
    with pytest.raises(ValueError, match="weak_nerves"):
        classify_known(replace(DEFINITE_CASE, weak_nerves=None))


# ---- unknowns -------------------------------------------------------------------------------


def test_counts_are_filled_with_0_1_2_and_booleans_with_false_and_true():
    assert fillings("weak_nerves") == fillings("definite_block_nerves") == (0, 1, 2)
    assert fillings("probable_block_segments") == (0, 1, 2)
    assert fillings("marked_bulbar") == (False, True)


def test_an_unknown_that_cannot_change_the_class_is_settled():
    # No definite block and no segment: neither definite nor probable can hold.
    settled = settle(
        replace(
            DEFINITE_CASE,
            definite_block_nerves=0,
            weakness_over_1_month=None,
            anti_gm1_igm_raised=None,
            csf_protein_raised=None,
        )
    )
    assert settled == Settlement(NOT_MET, (NOT_MET,), ())


def test_a_blank_assessment_is_incomplete_with_every_class_possible_in_order():
    settled = settle(Findings())
    assert settled.classification == INCOMPLETE
    assert settled.possible == (EXCLUDED, DEFINITE, PROBABLE, NOT_MET)
    assert settled.unknown == FINDINGS  # every finding matters when nothing is known


def test_possible_lists_only_the_classes_some_filling_gives():
    # 2 weak nerves and 2 segments with probable block: at least probable unless excluded.
    findings = replace(
        PROBABLE_BY_SEGMENTS, upper_motor_neuron_signs=None, definite_block_nerves=None
    )
    settled = settle(findings)
    assert settled.classification == INCOMPLETE
    assert settled.possible == (EXCLUDED, DEFINITE, PROBABLE)
    assert settled.unknown == ("definite_block_nerves", "upper_motor_neuron_signs")


def test_unknown_lists_only_the_findings_that_matter_in_list_order():
    # Definite hangs on the month and the definite block; the supportive criteria are
    # unknown too, but with 2 weak nerves and 2 segments, probable holds without them.
    findings = replace(
        PROBABLE_BY_SEGMENTS,
        weakness_over_1_month=None,
        definite_block_nerves=None,
        **dict.fromkeys(SUPPORTIVE),
    )
    settled = settle(findings)
    assert settled.possible == (DEFINITE, PROBABLE)
    assert settled.unknown == ("weakness_over_1_month", "definite_block_nerves")


def test_supportive_criteria_matter_only_while_they_can_decide():
    findings = replace(
        PROBABLE_BY_SUPPORT,
        anti_gm1_igm_raised=None,
        csf_protein_raised=None,
        mri_plexus_t2=None,
        improved_after_ivig=True,
        weakness_over_1_month=None,
    )
    settled = settle(findings)
    assert settled.possible == (PROBABLE, NOT_MET)
    # One more supportive criterion is enough; the month does not matter without a block.
    assert settled.unknown == ("anti_gm1_igm_raised", "csf_protein_raised", "mri_plexus_t2")
    # With two true already, the others no longer matter: the class is settled.
    assert settle(replace(findings, anti_gm1_igm_raised=True)).classification == PROBABLE


def test_an_unknown_exclusion_matters_only_while_no_exclusion_is_known_true():
    findings = replace(DEFINITE_CASE, marked_bulbar=None, upper_motor_neuron_signs=None)
    settled = settle(findings)
    assert settled.possible == (EXCLUDED, DEFINITE)
    assert settled.unknown == ("upper_motor_neuron_signs", "marked_bulbar")
    assert settle(replace(findings, marked_bulbar=True)).possible == (EXCLUDED,)


# ---- weakness over one month ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("onset", "month_later"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),  # the clinical rules' example
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 12, 31), date(2027, 1, 31)),
    ],
)
def test_one_calendar_month_clamps_to_the_months_last_day(onset, month_later):
    assert one_calendar_month_after(onset) == month_later


def test_weakness_over_1_month_from_onset_on_or_before_the_assessment_day():
    onset = date(2026, 1, 31)
    assert weakness_over_1_month(onset, date(2026, 2, 28)) is True  # on the day: true
    assert weakness_over_1_month(onset, date(2026, 3, 1)) is True
    assert weakness_over_1_month(onset, date(2026, 2, 27)) is False
    assert weakness_over_1_month(None, date(2026, 2, 27)) is None


def test_derived_month_is_used_when_none_is_recorded_and_recorded_wins():
    blank_month = replace(DEFINITE_CASE, weakness_over_1_month=None)
    derived = diagnose(
        blank_month, assessed_on=date(2026, 2, 28), symptom_onset_on=date(2026, 1, 31)
    )
    assert derived.classification == DEFINITE
    assert derived.weakness_over_1_month_source == FindingSource.DERIVED
    too_soon = diagnose(
        blank_month, assessed_on=date(2026, 2, 27), symptom_onset_on=date(2026, 1, 31)
    )
    assert too_soon.classification == NOT_MET and too_soon.findings.weakness_over_1_month is False
    no_onset = diagnose(blank_month, assessed_on=date(2026, 2, 27))
    assert no_onset.classification == INCOMPLETE and no_onset.unknown == ("weakness_over_1_month",)
    assert no_onset.weakness_over_1_month_source is None
    recorded = diagnose(
        replace(DEFINITE_CASE, weakness_over_1_month=False),
        assessed_on=date(2026, 6, 1),
        symptom_onset_on=date(2025, 1, 1),
    )
    assert recorded.classification == NOT_MET
    assert recorded.weakness_over_1_month_source == FindingSource.RECORDED
    assert recorded.derived_weakness_over_1_month is True  # shown, but the person's word wins


def test_the_month_is_derived_on_the_assessment_day_not_the_day_asked():
    blank_month = replace(DEFINITE_CASE, weakness_over_1_month=None)
    later = diagnose(
        blank_month,
        assessed_on=date(2026, 2, 10),
        symptom_onset_on=date(2026, 1, 31),
        on=date(2026, 6, 1),
    )
    assert later.findings.weakness_over_1_month is False


# ---- improvement after IVIG -----------------------------------------------------------------

COURSE = date(2026, 3, 2)


def grip(days_from_course, value, side="right", source="clinic", measure="grip_vigorimeter"):
    return ScoreReading(COURSE + timedelta(days=days_from_course), measure, side, value, source)


def improved(scores, on=COURSE + timedelta(days=100), first_course_on=COURSE):
    return improved_after_ivig(scores, first_course_on=first_course_on, on=on)


def test_improved_when_the_best_score_in_6_weeks_beats_the_baseline_by_the_mcid():
    assert improved([grip(0, 60), grip(14, 68)]) is True  # 8 kPa: exactly the MCID
    assert improved([grip(0, 60), grip(14, 67.9)]) is False


@pytest.mark.parametrize(("day", "counts"), [(0, False), (1, True), (42, True), (43, False)])
def test_the_window_after_the_first_course_is_day_1_to_day_42(day, counts):
    assert improved([grip(-5, 60), grip(day, 70)]) is (True if counts else None)


def test_the_baseline_is_the_latest_score_on_or_before_the_courses_start():
    assert improved([grip(-20, 50), grip(0, 65), grip(10, 70)]) is False  # 65 -> 70
    assert improved([grip(-20, 65), grip(-3, 50), grip(10, 70)]) is True  # 50 -> 70
    # Two on one day: the one recorded later is the latest.
    assert improved([grip(0, 50), grip(0, 65), grip(10, 70)]) is False


def test_the_best_score_in_the_window_counts():
    assert improved([grip(0, 60), grip(7, 62), grip(21, 69), grip(35, 61)]) is True


def test_lower_is_better_measures_improve_downwards():
    incat = "incat"
    assert (
        improved(
            [
                ScoreReading(COURSE, incat, None, 4),
                ScoreReading(COURSE + timedelta(days=10), incat, None, 3),
            ]
        )
        is True
    )
    assert (
        improved(
            [
                ScoreReading(COURSE, incat, None, 4),
                ScoreReading(COURSE + timedelta(days=10), incat, None, 5),
            ]
        )
        is False
    )


def test_each_measure_side_and_source_is_its_own_series():
    assert improved([grip(0, 60, side="left"), grip(10, 90, side="right")]) is None
    assert improved([grip(0, 60, source="home"), grip(10, 90, source="clinic")]) is None
    assert improved([grip(0, 60, source="home"), grip(10, 90, source="home")]) is True
    assert improved([grip(0, 60), grip(10, 9, measure="grip_dynamometer")]) is None


def test_false_when_some_series_has_both_and_none_improves_by_its_mcid():
    scores = [grip(0, 60, side="left"), grip(10, 62, side="left"), grip(10, 99, side="right")]
    assert improved(scores) is False  # the right side has no baseline


def test_true_when_any_series_improves():
    scores = [
        grip(0, 60, side="left"),
        grip(10, 61, side="left"),
        grip(0, 60, side="right"),
        grip(10, 70, side="right"),
    ]
    assert improved(scores) is True


def test_unknown_without_a_course_or_without_a_series_with_both():
    assert improved([grip(0, 60), grip(10, 90)], first_course_on=None) is None
    assert improved([grip(10, 90)]) is None
    assert improved([grip(0, 60)]) is None
    assert improved([]) is None


def test_wear_off_day_forms_no_series():
    scores = [
        grip(0, 5, measure="wear_off_day", side=None),
        grip(10, 30, measure="wear_off_day", side=None),
    ]
    assert improved(scores) is None


def test_only_scores_on_or_before_the_day_asked_are_read():
    scores = [grip(0, 60), grip(14, 70)]
    assert improved(scores, on=COURSE + timedelta(days=14)) is True  # on the day: read
    assert improved(scores, on=COURSE + timedelta(days=13)) is None  # after it: ignored
    # A better score after the day asked does not turn false into true.
    later = [grip(0, 60), grip(5, 61), grip(14, 70)]
    assert improved(later, on=COURSE + timedelta(days=13)) is False


def test_recorded_improvement_wins_over_the_derived_one():
    scores = [grip(0, 60), grip(14, 70)]
    recorded = diagnose(
        replace(PROBABLE_BY_SUPPORT, improved_after_ivig=False),
        assessed_on=COURSE + timedelta(days=30),
        first_course_on=COURSE,
        scores=scores,
    )
    assert recorded.improved_after_ivig_source == FindingSource.RECORDED
    assert recorded.findings.improved_after_ivig is False
    assert recorded.derived_improved_after_ivig is True


def test_derived_improvement_takes_part_in_the_classification():
    # One supportive criterion recorded; the derived improvement makes it two.
    findings = replace(PROBABLE_BY_SUPPORT, mri_plexus_t2=False, improved_after_ivig=None)
    assessed = COURSE + timedelta(days=30)
    better = diagnose(
        findings, assessed_on=assessed, first_course_on=COURSE, scores=[grip(0, 60), grip(14, 70)]
    )
    assert better.classification == PROBABLE
    assert better.improved_after_ivig_source == FindingSource.DERIVED
    worse = diagnose(
        findings, assessed_on=assessed, first_course_on=COURSE, scores=[grip(0, 60), grip(14, 61)]
    )
    assert worse.classification == NOT_MET
    assert worse.improved_after_ivig_source == FindingSource.DERIVED
    unknown = diagnose(findings, assessed_on=assessed, first_course_on=COURSE, scores=[])
    assert unknown.classification == INCOMPLETE and unknown.unknown == ("improved_after_ivig",)
    assert unknown.improved_after_ivig_source is None


def test_re_derived_on_the_day_asked_and_a_course_after_it_is_not_yet_given():
    findings = replace(PROBABLE_BY_SUPPORT, mri_plexus_t2=False, improved_after_ivig=None)
    scores = [grip(0, 60), grip(14, 70)]
    on_assessment = diagnose(
        findings, assessed_on=COURSE + timedelta(days=10), first_course_on=COURSE, scores=scores
    )
    assert on_assessment.classification == INCOMPLETE  # the better grip came later
    later = diagnose(
        findings,
        assessed_on=COURSE + timedelta(days=10),
        first_course_on=COURSE,
        scores=scores,
        on=COURSE + timedelta(days=14),
    )
    assert later.classification == PROBABLE
    before_course = diagnose(
        findings,
        assessed_on=COURSE - timedelta(days=10),
        first_course_on=COURSE,
        scores=scores,
        symptom_onset_on=COURSE - timedelta(days=90),
    )
    assert before_course.first_course_on is None
    assert before_course.onset_to_first_course_days is None


def test_the_delay_from_onset_to_the_first_course():
    made = diagnose(
        Findings(), assessed_on=COURSE, symptom_onset_on=date(2025, 12, 2), first_course_on=COURSE
    )
    assert made.first_course_on == COURSE and made.onset_to_first_course_days == 90
    assert (
        diagnose(Findings(), assessed_on=COURSE, first_course_on=COURSE).onset_to_first_course_days
        is None
    )
    assert (
        diagnose(Findings(), assessed_on=COURSE, symptom_onset_on=COURSE).onset_to_first_course_days
        is None
    )


def test_criteria_say_met_not_met_and_unknown():
    shown = diagnose(
        replace(PROBABLE_BY_SUPPORT, sensory_conduction_normal=None, csf_protein_raised=None),
        assessed_on=COURSE,
    )
    status = {c.code: c.status for c in shown.criteria}
    assert status["weak_nerves_2"] == CriterionStatus.NOT_MET
    assert status["weak_nerves_1"] == CriterionStatus.MET
    assert status["probable_block_1"] == CriterionStatus.MET
    assert status["sensory_conduction_normal"] == CriterionStatus.UNKNOWN
    assert status["supportive_2"] == CriterionStatus.MET
    assert status["marked_bulbar"] == CriterionStatus.NOT_MET  # the exclusion does not apply
    labels = {c.code: c.label for c in shown.criteria}
    assert labels["definite_block"] == "Definite motor conduction block in at least 1 nerve"
    assert labels["upper_motor_neuron_signs"] == "Upper motor neuron signs (exclusion)"
    two_unknown = diagnose(
        replace(PROBABLE_BY_SUPPORT, anti_gm1_igm_raised=None, mri_plexus_t2=None),
        assessed_on=COURSE,
    )
    assert {c.code: c.status for c in two_unknown.criteria}["supportive_2"] == (
        CriterionStatus.UNKNOWN
    )


# ---- properties: the grouped enumeration is the brute force ---------------------------------


def brute_force(findings: Findings) -> Settlement:
    """Section 7 read literally: every filling, and every pair differing in one finding."""
    unknown = findings.unknowns()
    table = {
        values: classify_known(replace(findings, **dict(zip(unknown, values, strict=True))))
        for values in itertools.product(*(fillings(n) for n in unknown))
    }
    possible = tuple(c for c in CLASS_ORDER if c in set(table.values()))
    if len(possible) == 1:
        return Settlement(possible[0], possible, ())
    matters = tuple(
        name
        for i, name in enumerate(unknown)
        if any(
            table[values] != table[values[:i] + (v,) + values[i + 1 :]]
            for values in table
            for v in fillings(name)
        )
    )
    return Settlement(INCOMPLETE, possible, matters)


def _finding(name):
    value = st.integers(0, 50) if name in COUNT_FINDINGS else st.booleans()
    # Small counts mostly: that is where the thresholds are.
    if name in COUNT_FINDINGS:
        value = st.one_of(st.integers(0, 3), value)
    return st.one_of(st.none(), value)


findings_strategy = st.builds(Findings, **{name: _finding(name) for name in FINDINGS})


@settings(max_examples=300, deadline=None)
@given(findings_strategy)
def test_settling_equals_the_brute_force(findings):
    assert settle(findings) == brute_force(findings)


@settings(max_examples=300, deadline=None)
@given(findings_strategy, st.data())
def test_filling_unknowns_never_gives_a_class_outside_possible(findings, data):
    settled = settle(findings)
    unknown = findings.unknowns()
    chosen = data.draw(st.lists(st.sampled_from(unknown), unique=True) if unknown else st.just([]))
    filled = replace(
        findings, **{name: data.draw(st.sampled_from(fillings(name))) for name in chosen}
    )
    refined = settle(filled)
    assert set(refined.possible) <= set(settled.possible)
    if refined.classification != INCOMPLETE:
        assert refined.classification in settled.possible
    # Incomplete exactly when more than one class is possible, and then some unknown matters.
    assert (settled.classification == INCOMPLETE) == (len(settled.possible) > 1)
    assert (settled.unknown != ()) == (settled.classification == INCOMPLETE)
    assert all(
        settled.unknown.index(a) < settled.unknown.index(b)
        for a, b in itertools.pairwise(settled.unknown)
    )
    assert list(settled.unknown) == [n for n in FINDINGS if n in settled.unknown]
