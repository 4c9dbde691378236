"""An evaluation knows the first day the calendar alone can change what is stored of it."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders.facts import START, booked, course_days, day, facts, regimen, swings
from tests.builders.facts import given as given_on
from tests.rules.test_properties import histories
from tracker.rules import (
    AuthorizationFact,
    CourseFact,
    PatientFacts,
    RegimenFact,
    SitePolicy,
    evaluate,
)
from tracker.rules.evaluate import Evaluation
from tracker.rules.expiry import flags_change_on, packed_expires_on, patient_expires_on
from tracker.rules.facts import PackedFacts
from tracker.rules.vocabulary import FlagCode

POLICY = SitePolicy()
FAR = date(2030, 1, 1)  # a `latest` that never bites
# Flags the state keeps as the days they start (or derives from stored days): not expiry.
DATED_FLAGS = {
    FlagCode.NEEDS_BOOKING,
    FlagCode.OVERDUE,
    FlagCode.REVIEW_DUE,
    FlagCode.WEIGHT_STALE,
    FlagCode.BOOKING_OUTSIDE_WINDOW,
}


def stored(ev: Evaluation) -> Evaluation:
    """What the state keeps of an evaluation, with the day evaluated left out."""
    return dataclasses.replace(
        ev,
        on=START,
        flags=tuple(f for f in ev.flags if f.code not in DATED_FLAGS),
        response=None,
        authorizations=(),
    )


def expiry(f: PatientFacts, on: date, policy: SitePolicy = POLICY, latest: date = FAR) -> date:
    return patient_expires_on(f, evaluate(f, on=on, policy=policy), policy=policy, latest=latest)


def changes_on(f: PatientFacts, on: date, policy: SitePolicy = POLICY) -> date | None:
    """The first day after `on` whose stored evaluation differs (looking 400 days ahead)."""
    first = stored(evaluate(f, on=on, policy=policy))
    for n in range(1, 400):
        later = on + timedelta(days=n)
        if stored(evaluate(f, on=later, policy=policy)) != first:
            return later
    return None


def _steady(count: int = 4) -> PatientFacts:
    days = course_days(START, 28, count)
    return facts(regimens=(regimen(),), courses=given_on(days), scores=swings(days, 80, 78))


ON = day(28 * 3 + 5)  # five days after the fourth course


def test_a_booked_course_expires_the_day_after_it():
    f = dataclasses.replace(_steady(), courses=_steady().courses + (booked(day(28 * 4)),))
    assert expiry(f, ON) == day(28 * 4 + 1) == changes_on(f, ON)


def test_a_course_recorded_as_given_ahead_expires_on_its_day():
    later = CourseFact(77, day(28 * 4), "given")
    f = dataclasses.replace(_steady(), courses=_steady().courses + (later,))
    assert expiry(f, ON) == day(28 * 4) == changes_on(f, ON)


def test_a_regimen_to_come_expires_on_its_start():
    f = dataclasses.replace(
        _steady(), regimens=(regimen(), RegimenFact(2, ON + timedelta(days=9), 1.2, 28))
    )
    assert expiry(f, ON) == ON + timedelta(days=9) == changes_on(f, ON)


def test_a_review_or_weight_dated_later_expires_on_its_day():
    review = dataclasses.replace(_steady(), review_dates=(ON + timedelta(days=4),))
    assert expiry(review, ON) == ON + timedelta(days=4) == changes_on(review, ON)
    weight = dataclasses.replace(_steady(), weight_dates=(START, ON + timedelta(days=6)))
    assert expiry(weight, ON) == ON + timedelta(days=6) == changes_on(weight, ON)


def test_a_score_dated_later_and_a_return_from_hold_expire_on_their_day():
    score = _steady().scores[0]
    f = dataclasses.replace(
        _steady(),
        scores=_steady().scores + (dataclasses.replace(score, taken_on=ON + timedelta(days=2)),),
    )
    assert expiry(f, ON) == ON + timedelta(days=2)
    back = dataclasses.replace(_steady(), resumed_on=ON + timedelta(days=3))
    assert expiry(back, ON) == ON + timedelta(days=3) == changes_on(back, ON)


def test_a_stable_regimen_expires_when_it_becomes_old_enough_to_taper():
    # Seven steady cycles: the taper waits for the regimen's 180th day.
    days = course_days(START, 28, 8)
    f = facts(regimens=(regimen(),), courses=given_on(days), scores=swings(days, 80, 78))
    on = day(28 * 6 + 3)
    assert evaluate(f, on=on, policy=POLICY).recommendation is None
    assert expiry(f, on) <= day(POLICY.taper_stable_days)
    assert changes_on(f, on) == day(POLICY.taper_stable_days)
    assert evaluate(f, on=day(180), policy=POLICY).recommendation is not None


def test_an_authorisation_expires_at_its_notice_and_its_end():
    auth = AuthorizationFact(1, START, ON + timedelta(days=40), None, None, "PA-1")
    f = dataclasses.replace(
        _steady(),
        authorizations=(auth,),
        courses=_steady().courses + (booked(ON + timedelta(days=20)),),
    )
    notice = auth.ends_on - timedelta(days=POLICY.authorization_notice_days)
    assert expiry(f, ON) == notice == changes_on(f, ON)
    assert FlagCode.AUTHORIZATION_ENDING in evaluate(f, on=notice, policy=POLICY).flag_codes


def test_with_an_authorisation_a_course_due_and_unbooked_moves_the_projection():
    late = day(28 * 4 + 2)  # the fifth course was due on day(112): nothing booked
    # Room left: the flag is off and stays off until the courses that fit before the end
    # change in number.
    roomy = AuthorizationFact(1, START, day(900), None, 40, "PA-2")
    f = dataclasses.replace(_steady(), authorizations=(roomy,))
    assert FlagCode.AUTHORIZATION_ENDING not in evaluate(f, on=late, policy=POLICY).flag_codes
    expires = expiry(f, late)
    assert late + timedelta(days=1) < expires
    assert (changes_on(f, late) or FAR) >= expires
    # One course left: projected to run out on the day evaluated, a day that moves daily.
    tight = AuthorizationFact(1, START, day(900), None, 5, "PA-3")
    f = dataclasses.replace(_steady(), authorizations=(tight,))
    assert FlagCode.AUTHORIZATION_ENDING in evaluate(f, on=late, policy=POLICY).flag_codes
    assert expiry(f, late) == late + timedelta(days=1) == changes_on(f, late)


def test_nothing_calendar_driven_keeps_the_state_until_latest():
    f = _steady()
    latest = ON + timedelta(days=21)
    assert expiry(f, ON, latest=latest) == latest


def test_the_flags_stored_as_start_days_do_not_expire_the_state_but_are_known():
    f = _steady()
    ev = evaluate(f, on=ON, policy=POLICY)
    assert ev.needs_booking_from is not None and ev.needs_booking_from > ON
    assert expiry(f, ON) > ev.needs_booking_from  # stored as the day it starts
    assert flags_change_on(ev) == ev.needs_booking_from
    opened = evaluate(f, on=ev.window_start, policy=POLICY)
    assert flags_change_on(opened) == ev.window_start + timedelta(days=1) or flags_change_on(
        opened
    ) == min(d for d in (opened.overdue_from, ev.window_end + timedelta(days=1)) if d)


def test_packed_and_full_facts_give_the_same_expiry():
    f = dataclasses.replace(
        _steady(),
        courses=_steady().courses + (booked(ON + timedelta(days=8)),),
        weight_dates=(START, ON + timedelta(days=30)),
    )
    ev = evaluate(f, on=ON, policy=POLICY)
    packed = dataclasses.replace(
        PackedFacts.of(f), weight_dates=(START,), next_weight_on=ON + timedelta(days=30)
    )
    assert packed_expires_on(packed, ev, policy=POLICY, latest=FAR) == expiry(f, ON)


@settings(max_examples=120, deadline=None)
@given(history=histories(), data=st.data())
def test_the_stored_evaluation_holds_every_day_until_it_expires(history, data):
    # Any history, with facts dated ahead of the day (bookings, courses recorded as given,
    # a regimen to come, reviews, weights, scores, an authorisation, a return from hold):
    # every day before the expiry stores the same answer, and the expiry is never later
    # than the first day that changes it.
    policy, f, on = history
    ahead = st.integers(0, 60).map(lambda n: on + timedelta(days=n))
    extra = tuple(
        CourseFact(600 + i, d, data.draw(st.sampled_from(("booked", "given"))))
        for i, d in enumerate(data.draw(st.lists(ahead, max_size=2)))
    )
    regimens = f.regimens
    if data.draw(st.booleans()):
        regimens += (RegimenFact(2, data.draw(ahead), 1.0, policy.min_interval_days),)
    authorizations: tuple[AuthorizationFact, ...] = ()
    if data.draw(st.booleans()):
        starts = data.draw(st.integers(-200, 30).map(lambda n: on + timedelta(days=n)))
        ends = starts + timedelta(days=data.draw(st.integers(10, 300)))
        grams = data.draw(st.sampled_from((None, 300.0, 2000.0)))
        authorizations = (AuthorizationFact(1, starts, ends, grams, None, "PA"),)
    policy = dataclasses.replace(policy, authorizations_required=data.draw(st.booleans()))
    f = dataclasses.replace(
        f,
        regimens=regimens,
        courses=tuple(sorted(f.courses + extra, key=lambda c: (c.starts_on, c.id))),
        review_dates=tuple(data.draw(st.lists(ahead, max_size=1))),
        weight_dates=f.weight_dates + tuple(data.draw(st.lists(ahead, max_size=1))),
        resumed_on=data.draw(st.one_of(st.none(), ahead)),
        authorizations=authorizations,
        status=data.draw(st.sampled_from(("active", "active", "on_hold"))),
    )
    latest = on + timedelta(days=28)
    expires = expiry(f, on, policy=policy, latest=latest)
    assert on < expires <= latest
    first = stored(evaluate(f, on=on, policy=policy))
    for n in range(1, (expires - on).days):
        later = on + timedelta(days=n)
        assert stored(evaluate(f, on=later, policy=policy)) == first, later
