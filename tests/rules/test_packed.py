"""The fast forms give the same answers as the originals, on generated histories.

- `assess_response` (now built on the cycle marks) equals the original slicing version kept
  in `reference_response.py`;
- `summarize_response` agrees with `assess_response` on everything the flags and the
  recommendation read;
- `evaluate_packed` equals `evaluate`, but for the cycle-by-cycle `response` it leaves out.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders.packed import as_swept
from tests.rules import reference_response
from tests.rules.test_properties import policies
from tracker.rules import (
    AuthorizationFact,
    CourseFact,
    PackedFacts,
    PatientFacts,
    RegimenFact,
    ScoreColumns,
    ScoreFact,
    SitePolicy,
    assess_response,
    evaluate,
    evaluate_packed,
    response,
    scores_needed_from,
)
from tracker.rules.cycles import plan_cycles
from tracker.rules.response import summarize_response

START = date(2024, 1, 1)
EQUIVALENCE = settings(max_examples=400, deadline=None)
MEASURE_SIDES = (
    ("grip_vigorimeter", "left"),
    ("grip_vigorimeter", "right"),
    ("grip_dynamometer", "right"),
    ("mrc_sum", None),
    ("incat", None),  # lower is better
    ("onls", None),
    ("wear_off_day", None),
    ("not_a_measure", None),  # ignored by the rules
)
TIMINGS = ("pre_infusion", "post_infusion", "clinic")
SOURCES = ("clinic", "clinic", "home")


@st.composite
def _scores_near(draw, days: list[date], span: int) -> list[ScoreFact]:
    """Scattered scores of every kind, many of them near course days."""
    scores = []
    for _ in range(draw(st.integers(0, 60))):
        if days and draw(st.booleans()):  # near a course day, where peaks and troughs are
            taken = draw(st.sampled_from(days)) + timedelta(days=draw(st.integers(-4, 8)))
        else:
            taken = START + timedelta(days=draw(st.integers(-30, span + 30)))
        measure, side = draw(st.sampled_from(MEASURE_SIDES))
        value = draw(
            st.one_of(
                st.integers(0, 60),
                st.floats(0, 120, allow_nan=False),
                st.sampled_from((40.3, 48.3, 50.0, 58.0)),
            )
        )
        scores.append(
            ScoreFact(
                taken,
                measure,
                side,
                value,
                draw(st.sampled_from(TIMINGS)),
                draw(st.sampled_from(SOURCES)),
            )
        )
    return scores


@st.composite
def _cycles_of_scores(draw, days: list[date]) -> list[ScoreFact]:
    """A peak after and a trough before each course in a few series, steady, wearing off
    or declining, so that every pattern and action comes up."""
    scores = []
    for measure, side in draw(
        st.lists(st.sampled_from(MEASURE_SIDES[:5]), min_size=1, max_size=3, unique=True)
    ):
        level = draw(st.integers(20, 50))
        lower = measure == "incat"
        source = draw(st.sampled_from(SOURCES))
        for k, d in enumerate(days):
            if k and draw(st.integers(0, 9)):
                trough = max(0, level - draw(st.integers(-2, 12)) * (1 if not lower else -1))
                scores.append(
                    ScoreFact(
                        d - timedelta(days=draw(st.integers(0, 4))),
                        measure,
                        side,
                        trough,
                        "pre_infusion",
                        source,
                    )
                )
            if draw(st.integers(0, 9)):
                swing = draw(st.integers(0, 16))
                scores.append(
                    ScoreFact(
                        d + timedelta(days=draw(st.integers(0, 6))),
                        measure,
                        side,
                        level + (swing if not lower else -swing),
                        "post_infusion",
                        source,
                    )
                )
            level -= draw(st.sampled_from((0, 0, 0, 1, 3, 6)))
    return scores


@st.composite
def histories(draw):
    """Histories with everything that makes cycles awkward: same-day and unsorted scores,
    several regimens (some still to come), bookings and courses given after `on`, ties."""
    policy = dataclasses.replace(
        draw(policies()),
        authorizations_required=draw(st.booleans()),
        authorization_notice_days=draw(st.sampled_from((0, 14, 30, 90))),
        sc_tolerance_days=draw(st.integers(0, 3)),
    )
    days, day = [], START
    regular = draw(st.booleans())
    for _ in range(draw(st.integers(0, 24))):
        if regular:
            day += timedelta(
                days=draw(st.integers(policy.min_interval_days, policy.min_interval_days + 14))
            )
        else:
            day += timedelta(days=draw(st.one_of(st.integers(0, 3), st.integers(7, 50))))
        days.append(day)
    span = (day - START).days
    statuses = ("given",) if regular else ("given", "given", "given", "booked")
    courses = [
        CourseFact(
            i + 1, d, draw(st.sampled_from(statuses)), draw(st.sampled_from((1, 1, 1, 2, 5)))
        )
        for i, d in enumerate(days)
    ]
    if days and draw(st.booleans()):
        courses.append(CourseFact(99, day + timedelta(days=draw(st.integers(-5, 30))), "booked"))
    starts = [START - timedelta(days=20)] + days
    regimens = tuple(
        RegimenFact(
            i + 1,
            draw(st.sampled_from(starts))
            + timedelta(days=draw(st.sampled_from((0, 0, 1, -1, 60)))),
            draw(st.sampled_from((0.5, 1.0, 1.6, 2.0))),
            draw(st.integers(7, 56)),
            draw(st.sampled_from((None, 35.0, 70.0, 72.5, 140.0))),
            draw(st.sampled_from(("iv", "iv", "sc"))),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    # Funding: authorisations over parts of the history (overlapping, renewed, limited in
    # grams or courses or not at all), and own doses for some courses.
    authorizations = []
    for i in range(draw(st.sampled_from((0, 0, 1, 2, 3)))):
        begins = START + timedelta(days=draw(st.integers(-30, span + 30)))
        authorizations.append(
            AuthorizationFact(
                i + 1,
                begins,
                begins + timedelta(days=draw(st.integers(0, 400))),
                draw(st.sampled_from((None, 70.0, 300.0, 1000.0, 2100.5))),
                draw(st.sampled_from((None, 1, 4, 13))),
                f"PA-{i + 1}",
            )
        )
    doses = tuple(
        (c.id, draw(st.sampled_from((35.0, 70.0, 72.5, 80.0))))
        for c in courses
        if draw(st.booleans())
    )
    scores = draw(_cycles_of_scores(days)) if regular else []
    scores += draw(_scores_near(days, span))
    if draw(st.booleans()):
        scores = draw(st.permutations(scores))
    facts = PatientFacts(
        status=draw(st.sampled_from(("active", "active", "active", "on_hold", "discharged"))),
        regimens=regimens,
        courses=tuple(courses),
        scores=tuple(scores),
        review_dates=tuple(
            sorted(
                START + timedelta(days=draw(st.integers(0, span + 30)))
                for _ in range(draw(st.integers(0, 3)))
            )
        ),
        weight_dates=tuple(
            sorted(
                START + timedelta(days=draw(st.integers(-200, span + 60)))
                for _ in range(draw(st.integers(0, 3)))
            )
        ),
        resumed_on=draw(
            st.one_of(st.none(), st.just(START + timedelta(days=draw(st.integers(0, span + 30)))))
        ),
        dismissed=frozenset(
            (r.id, draw(st.sampled_from(("consider_taper", "escalate_dose", "shorten_interval"))))
            for r in regimens
            if draw(st.booleans())
        ),
        authorizations=tuple(authorizations),
        course_doses=doses,
    )
    on = START + timedelta(days=draw(st.integers(0, span + 60)))
    if regular and days and draw(st.booleans()):
        on = days[-1] + timedelta(days=draw(st.integers(0, 10)))
    return policy, facts, on


def _plan(facts: PatientFacts, on: date, policy: SitePolicy):
    return plan_cycles(
        [(c.starts_on.toordinal(), c.days) for c in facts.courses if c.status == "given"],
        regimens=facts.regimens,
        on_ordinal=on.toordinal(),
        tolerance_days=policy.due_tolerance_days,
        resumed_on=facts.resumed_on,
        sc_tolerance_days=policy.sc_tolerance_days,
    )


def _assess(module, facts: PatientFacts, on: date, policy: SitePolicy, starts_on, steady=False):
    if module is reference_response:
        return module.assess_response(
            scores=facts.scores,
            courses=facts.courses,
            regimens=facts.regimens,
            regimen_starts_on=starts_on,
            on=on,
            policy=policy,
            resumed_on=facts.resumed_on,
            steady=steady,
        )
    return module.assess_response(
        scores=[s for s in facts.scores if s.taken_on <= on],
        plan=_plan(facts, on, policy),
        regimen_starts_on=starts_on,
        on=on,
        policy=policy,
        steady=steady,
    )


@EQUIVALENCE
@given(history=histories(), data=st.data())
def test_assess_response_equals_the_original(history, data):
    policy, facts, on = history
    starts_on = data.draw(
        st.one_of(st.none(), st.sampled_from([r.starts_on for r in facts.regimens] or [START]))
    )
    steady = data.draw(st.booleans())
    new = _assess(response, facts, on, policy, starts_on, steady)
    assert new == _assess(reference_response, facts, on, policy, starts_on, steady)


@EQUIVALENCE
@given(history=histories(), data=st.data())
def test_the_summary_agrees_with_the_full_assessment(history, data):
    policy, facts, on = history
    starts_on = data.draw(st.one_of(st.none(), st.just(START + timedelta(days=40))))
    steady = data.draw(st.booleans())
    full = _assess(reference_response, facts, on, policy, starts_on, steady)
    summary = summarize_response(
        scores=ScoreColumns.of([s for s in facts.scores if s.taken_on <= on]),
        plan=_plan(facts, on, policy),
        regimen_starts_on=starts_on,
        on=on,
        policy=policy,
        steady=steady,
    )
    assert summary.end_of_dose == full.end_of_dose
    assert summary.end_of_dose_cycles == (full.end_of_dose_cycles if full.end_of_dose else ())
    assert summary.progressive == full.progressive
    assert summary.patterns == full.patterns
    assert summary.recent_wear_off == full.recent_wear_off
    assert summary.counting_with_data == sum(c.has_data for c in full.counting_cycles)
    if full.end_of_dose:  # the only time it is quoted
        assert summary.describe_end_of_dose() == full.describe_end_of_dose()
    assert summary.describe_progressive() == full.describe_progressive()


@EQUIVALENCE
@given(history=histories())
def test_evaluate_packed_equals_evaluate_without_the_cycles(history):
    policy, facts, on = history
    expected = as_swept(evaluate(facts, on=on, policy=policy))
    assert evaluate_packed(PackedFacts.of(facts), on=on, policy=policy) == expected


@EQUIVALENCE
@given(history=histories())
def test_scores_given_in_date_order_and_marked_so_evaluate_the_same(history):
    # The sweep's read sorts the scores in SQL and says so (in_order): the rules then skip
    # their own look at the order, and _up_to takes the last day as the latest.
    policy, facts, on = history
    packed = PackedFacts.of(facts)
    marked = dataclasses.replace(
        packed, scores=dataclasses.replace(packed.scores.in_date_order(), in_order=True)
    )
    assert marked.scores.in_order
    expected = evaluate_packed(packed, on=on, policy=policy)
    assert evaluate_packed(marked, on=on, policy=policy) == expected


def test_score_columns_keep_the_recorded_order():
    scores = (
        ScoreFact(START, "mrc_sum", None, 50, "pre_infusion"),
        ScoreFact(START - timedelta(days=1), "incat", None, 2, "clinic"),
    )
    columns = ScoreColumns.of(scores)
    assert columns.days == [START.toordinal(), START.toordinal() - 1]
    assert columns.values == [50.0, 2.0]
    assert [columns.name(k) for k in columns.kinds] == [
        ("mrc_sum", None, "pre_infusion", "clinic"),
        ("incat", None, "clinic", "clinic"),
    ]


def test_a_same_day_retest_is_the_trough_whatever_the_column_order():
    # The later of two same-day pre-infusion scores is the trough, also when the columns
    # arrive out of date order (they are sorted stably).
    s0, s1 = START, START + timedelta(days=28)
    scores = [
        ScoreFact(s1, "mrc_sum", None, 50, "pre_infusion"),
        ScoreFact(s0, "mrc_sum", None, 55, "post_infusion"),
        ScoreFact(s1, "mrc_sum", None, 54, "pre_infusion"),
    ]
    facts = PatientFacts(
        regimens=(RegimenFact(1, s0, 1.0, 28),),
        courses=(CourseFact(1, s0, "given"), CourseFact(2, s1, "given")),
    )
    result = assess_response(
        scores=scores,
        plan=_plan(facts, s1, SitePolicy()),
        regimen_starts_on=s0,
        on=s1,
        policy=SitePolicy(),
    )
    assert result.cycles[0].troughs[0].value == 54
    assert not result.cycles[0].wear_off


@EQUIVALENCE
@given(history=histories(), lookback=st.sampled_from((90, 120, 365, 730)))
def test_scores_before_the_horizon_change_nothing_the_sweep_stores(history, lookback):
    # The sweep reads only scores from scores_needed_from on: dropping the older ones must
    # leave the evaluation (without its cycle-by-cycle response) exactly as it was.
    policy, facts, on = history
    policy = dataclasses.replace(policy, progressive_lookback_days=lookback)
    since = scores_needed_from(facts.regimens, on=on, policy=policy)
    recent = dataclasses.replace(
        facts, scores=tuple(s for s in facts.scores if s.taken_on >= since)
    )
    expected = as_swept(evaluate(facts, on=on, policy=policy))
    assert evaluate_packed(PackedFacts.of(recent), on=on, policy=policy) == expected


def test_with_a_regimen_every_score_may_matter_and_without_one_none_does():
    # No response compares each series' baseline before the first course, however old.
    regimens = (
        RegimenFact(1, START, 1.0, 28),
        RegimenFact(2, START + timedelta(days=300), 1.0, 21),
    )
    policy = SitePolicy(progressive_lookback_days=100)
    assert scores_needed_from(regimens, on=START + timedelta(days=400), policy=policy) == (date.min)
    assert scores_needed_from((), on=START, policy=policy) == date.max
