"""Properties that must hold for any history, checked with generated examples."""

from __future__ import annotations

import dataclasses
import itertools
import math
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules import (
    CourseFact,
    PatientFacts,
    RegimenFact,
    ScoreFact,
    SitePolicy,
    accepted_regimen,
    dosing_weight,
    due_window,
    evaluate,
    exceeds_intensity_cap,
    max_dose_g_per_kg,
    round_dose_g,
    vial_plan,
)

START = date(2025, 1, 6)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


@st.composite
def policies(draw) -> SitePolicy:
    """Site policies with varied bounds, tolerance and steps (each within its range)."""
    shortest = draw(st.integers(7, 28))
    return SitePolicy(
        min_interval_days=shortest,
        max_interval_days=draw(st.integers(max(shortest, 14), 70)),
        due_tolerance_days=draw(st.integers(0, 7)),
        step_interval_days=draw(st.integers(1, 14)),
        escalate_factor=draw(st.sampled_from([1.1, 1.2, 1.25, 1.5])),
        taper_factor=draw(st.sampled_from([0.5, 0.75, 0.8, 0.9])),
        taper_stable_days=draw(st.sampled_from([90, 120, 180])),
        taper_min_cycles=draw(st.integers(1, 4)),
    )


def _grip(d: date, value: float, timing: str) -> ScoreFact:
    return ScoreFact(d, "grip_vigorimeter", "right", value, timing)


@st.composite
def histories(draw, policy: SitePolicy | None = None):
    """A patient on one regimen within the bounds and the cap, with scores that are steady,
    wearing off, declining or random, so that every action comes up."""
    policy = policy or draw(policies())
    interval = draw(st.integers(policy.min_interval_days, policy.max_interval_days))
    cap_hundredths = math.floor(max_dose_g_per_kg(interval, policy) * 100 + 1e-9)
    low = st.integers(10, max(10, cap_hundredths // 2))
    dose = draw(st.one_of(st.integers(10, cap_hundredths), st.just(cap_hundredths), low)) / 100
    count = draw(st.integers(1, 12))
    days = [START]
    for _ in range(count - 1):
        days.append(days[-1] + timedelta(days=max(1, interval + draw(st.integers(-3, 3)))))
    starts_on = draw(st.one_of(st.just(START), st.sampled_from(days)))
    mode = draw(st.sampled_from(["steady", "wearing", "declining", "random"]))
    scores: list[ScoreFact] = []
    mrc = 60
    for k, d in enumerate(days):
        if mode == "random":
            if draw(st.booleans()):
                scores.append(
                    _grip(
                        d + timedelta(days=draw(st.integers(0, 3))),
                        draw(st.integers(20, 120)),
                        "post_infusion",
                    )
                )
            if k and draw(st.booleans()):
                scores.append(_grip(d, draw(st.integers(20, 120)), "pre_infusion"))
            if k and draw(st.booleans()):
                scores.append(
                    ScoreFact(d, "mrc_sum", None, draw(st.integers(30, 60)), "pre_infusion")
                )
            if k and draw(st.booleans()):
                day_of = draw(st.integers(1, 40))
                scores.append(ScoreFact(d, "wear_off_day", None, day_of, "pre_infusion"))
            continue
        scores.append(_grip(d + timedelta(days=1), 80, "post_infusion"))
        if k:
            drop = draw(st.integers(0, 7) if mode == "steady" else st.integers(8, 30))
            scores.append(_grip(d, 80 - drop, "pre_infusion"))
            if mode == "declining":
                mrc = max(30, mrc - draw(st.integers(0, 3)))
            scores.append(ScoreFact(d, "mrc_sum", None, mrc, "pre_infusion"))
    facts = PatientFacts(
        regimens=(RegimenFact(1, starts_on, dose, interval),),
        courses=tuple(CourseFact(i + 1, d, "given") for i, d in enumerate(days)),
        scores=tuple(scores),
        weight_dates=(START,),
    )
    on = days[-1] + timedelta(days=draw(st.integers(1, 30)))
    return policy, facts, on


# --- the window ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(policy=policies(), data=st.data())
def test_window_always_lies_within_the_interval_bounds(policy, data):
    interval = data.draw(st.integers(policy.min_interval_days, policy.max_interval_days))
    last = START + timedelta(days=data.draw(st.integers(0, 1000)))
    w = due_window(regimen=RegimenFact(1, START, 1.0, interval), last_given_on=last, policy=policy)
    assert last + timedelta(days=policy.min_interval_days) <= w.window_start
    assert w.window_start <= w.due_on <= w.window_end
    assert w.window_end <= last + timedelta(days=policy.max_interval_days)


@PROPERTY_SETTINGS
@given(policy=policies(), data=st.data())
def test_window_within_a_patients_own_bounds(policy, data):
    shortest = data.draw(st.integers(7, 30))
    longest = data.draw(st.integers(shortest, 60))
    interval = data.draw(st.integers(shortest, longest))
    days = [START + timedelta(days=interval * i) for i in range(data.draw(st.integers(1, 4)))]
    facts = PatientFacts(
        regimens=(RegimenFact(1, START, 0.5, interval),),
        courses=tuple(CourseFact(i, d, "given") for i, d in enumerate(days)),
        min_interval_days=shortest,
        max_interval_days=longest,
    )
    ev = evaluate(facts, on=days[-1], policy=policy)
    assert days[-1] + timedelta(days=shortest) <= ev.window_start <= ev.window_end
    assert ev.window_end <= days[-1] + timedelta(days=longest)


@PROPERTY_SETTINGS
@given(policy=policies(), interval=st.integers(1, 120), tolerance=st.integers(0, 7))
def test_an_overridden_interval_still_has_a_window_around_its_due_day(policy, interval, tolerance):
    policy = SitePolicy.from_dict({**policy.to_dict(), "due_tolerance_days": tolerance})
    w = due_window(regimen=RegimenFact(1, START, 0.1, interval), last_given_on=START, policy=policy)
    assert w.window_start <= w.due_on <= w.window_end


# --- proposals ----------------------------------------------------------------------------


def _applied(regimen: RegimenFact, rec) -> tuple[int, float]:
    new = accepted_regimen(regimen, rec, accepted_on=regimen.starts_on)
    return new.interval_days, new.dose_g_per_kg


@PROPERTY_SETTINGS
@given(history=histories(), bounds=st.data())
def test_no_proposal_exceeds_the_cap_or_leaves_the_interval_bounds(history, bounds):
    policy, facts, on = history
    ev = evaluate(facts, on=on, policy=policy)
    rec = ev.recommendation
    if rec is None:
        return
    regimen = facts.regimens[0]
    interval, dose = _applied(regimen, rec)
    assert policy.min_interval_days <= interval <= policy.max_interval_days
    assert not exceeds_intensity_cap(dose, interval, policy)
    assert dose > 0
    if rec.proposed_dose_g_per_kg is not None:
        assert round(rec.proposed_dose_g_per_kg, 2) == rec.proposed_dose_g_per_kg
    if rec.action == "escalate_dose":
        assert dose > regimen.dose_g_per_kg and interval == regimen.interval_days
    if rec.action == "shorten_interval":
        assert interval < regimen.interval_days and dose == regimen.dose_g_per_kg
    if rec.action == "consider_taper":
        assert interval > regimen.interval_days or dose < regimen.dose_g_per_kg
    if rec.action == "max_dose_reached":
        assert rec.proposed_dose_g_per_kg is None and rec.proposed_interval_days is None


# --- accepting an action ------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(history=histories(), data=st.data())
def test_an_accepted_action_is_not_proposed_again_before_two_new_cycles(history, data):
    policy, facts, on = history
    first = evaluate(facts, on=on, policy=policy).recommendation
    if first is None:
        return
    old = facts.regimens[0]
    interval, dose = _applied(old, first)
    new = RegimenFact(2, on, dose, interval)
    # Up to two new courses: at most one completed cycle under the new regimen.
    new_days = []
    day = on + timedelta(days=data.draw(st.integers(0, interval)))
    for _ in range(data.draw(st.integers(0, 2))):
        new_days.append(day)
        day += timedelta(days=max(1, interval + data.draw(st.integers(-3, 3))))
    new_scores = []
    for d in new_days:
        new_scores.append(
            ScoreFact(
                d, "grip_vigorimeter", "right", data.draw(st.integers(20, 120)), "pre_infusion"
            )
        )
        new_scores.append(
            ScoreFact(
                d, "grip_vigorimeter", "right", data.draw(st.integers(20, 120)), "post_infusion"
            )
        )
        new_scores.append(
            ScoreFact(d, "mrc_sum", None, data.draw(st.integers(30, 60)), "pre_infusion")
        )
        new_scores.append(
            ScoreFact(d, "wear_off_day", None, data.draw(st.integers(1, 10)), "pre_infusion")
        )
    after = PatientFacts(
        regimens=(old, new),
        courses=facts.courses
        + tuple(CourseFact(100 + i, d, "given") for i, d in enumerate(new_days)),
        scores=facts.scores + tuple(new_scores),
        weight_dates=(START,),
    )
    last = new_days[-1] if new_days else on
    later = last + timedelta(days=data.draw(st.integers(0, 60)))
    again = evaluate(after, on=later, policy=policy)
    assert again.regimen_id == 2
    assert again.recommendation is None or again.recommendation.action != first.action


# --- dosing -------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(dose=st.floats(0, 500, allow_nan=False), step=st.sampled_from([1, 2.5, 5, 10]))
def test_rounded_dose_is_the_nearest_multiple_and_at_least_one_step(dose, step):
    rounded = round_dose_g(dose, step)
    assert rounded >= step
    assert math.isclose(rounded / step, round(rounded / step))
    if dose >= step / 2:
        assert abs(rounded - dose) <= step / 2 + 1e-9


@PROPERTY_SETTINGS
@given(
    sex=st.sampled_from(["female", "male", None]),
    height=st.one_of(st.none(), st.floats(140, 210)),
    weight=st.floats(35, 250),
    basis=st.sampled_from(["auto", "actual", "adjusted"]),
)
def test_dosing_weight_never_exceeds_the_actual_weight(sex, height, weight, basis):
    w = dosing_weight(sex=sex, height_cm=height, weight_kg=weight, basis=basis, policy=SitePolicy())
    assert 0 < w.kg <= round(weight, 2)
    if w.basis_used == "adjusted":
        assert w.ideal_body_weight_kg <= w.kg


@settings(max_examples=150, deadline=None)
@given(
    dose_tenths=st.integers(1, 600),
    sizes=st.lists(st.sampled_from([1, 2.5, 5, 10, 20]), min_size=1, max_size=3, unique=True),
)
def test_vial_plan_is_the_smallest_total_then_the_fewest_vials(dose_tenths, sizes):
    dose = dose_tenths / 10
    plan = vial_plan(dose, sizes)
    assert sum(v.size_g * v.count for v in plan.vials) == plan.total_g >= dose
    assert math.isclose(plan.waste_g, plan.total_g - dose, abs_tol=0.01)
    # Brute force over every combination of counts that could matter.
    best = None
    limits = [int((dose + max(sizes)) // s) + 1 for s in sizes]
    for counts in itertools.product(*(range(n + 1) for n in limits)):
        total = round(sum(c * s for c, s in zip(counts, sizes, strict=True)), 1)
        if total >= dose:
            key = (total, sum(counts))
            best = key if best is None or key < best else best
    assert (plan.total_g, plan.vial_count) == best


# --- nothing dated after the evaluation day counts ----------------------------------------


@PROPERTY_SETTINGS
@given(history=histories(), data=st.data())
def test_nothing_dated_after_the_evaluation_day_changes_its_answer(history, data):
    # Section 4: weights, reviews, scores and courses dated after the day are ignored, but
    # for a course booked or given after it, which counts as booked. So adding any of them
    # after `on` changes nothing, once given courses after `on` are read as bookings.
    policy, facts, on = history
    later = st.integers(1, 400).map(lambda n: on + timedelta(days=n))
    extra_scores = data.draw(
        st.lists(
            st.builds(
                ScoreFact,
                later,
                st.sampled_from(("grip_vigorimeter", "mrc_sum", "wear_off_day")),
                st.just(None),
                st.integers(0, 40),
                st.sampled_from(("pre_infusion", "post_infusion", "clinic")),
            ),
            max_size=6,
        )
    )
    extra_scores = [
        dataclasses.replace(s, side="right") if s.measure.startswith("grip") else s
        for s in extra_scores
    ]
    booked_after = data.draw(later)
    changed = dataclasses.replace(
        facts,
        scores=facts.scores + tuple(extra_scores),
        weight_dates=facts.weight_dates + tuple(data.draw(st.lists(later, max_size=2))),
        review_dates=facts.review_dates + tuple(data.draw(st.lists(later, max_size=2))),
        courses=facts.courses + (CourseFact(500, booked_after, "given"),),
    )
    as_booked = dataclasses.replace(
        facts, courses=facts.courses + (CourseFact(500, booked_after, "booked"),)
    )
    assert evaluate(changed, on=on, policy=policy) == evaluate(as_booked, on=on, policy=policy)
