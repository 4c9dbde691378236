"""Funding authorisations (section 8 of the clinical rules), sentence by sentence, with plain
values; then properties on generated authorisations and courses."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders.packed import as_swept
from tracker.rules import (
    AuthorizationFact,
    CourseFact,
    PackedFacts,
    PatientFacts,
    RegimenFact,
    SitePolicy,
    evaluate,
    evaluate_packed,
)
from tracker.rules.authorizations import (
    NEW_COURSE_ID,
    AuthorizationStanding,
    FundedCourse,
    charge,
    check_course_funding,
    course_grams,
    ending,
    funded_courses,
    in_play,
    missing,
    projection_start,
    standings,
)

D = date(2026, 1, 5)  # a Monday; the regimen starts on it
REGIMEN = RegimenFact(1, D, 1.0, 28, dose_g=70.0)
REQUIRED = SitePolicy(authorizations_required=True)


def day(n: int) -> date:
    return D + timedelta(days=n)


def auth(aid, starts, ends, g=None, courses=None, ref=None) -> AuthorizationFact:
    return AuthorizationFact(aid, starts, ends, g, courses, ref or f"PA-{aid}", "NHS England")


def course(cid, first, grams=70.0, given=True) -> FundedCourse:
    return FundedCourse(cid, first, grams, given)


def by_ref(report) -> dict[str, AuthorizationStanding]:
    return {s.authorization.reference: s for s in report}


# --- "A course is charged to one authorisation" ------------------------------------------


def test_each_course_goes_to_the_earliest_ending_authorisation_with_room_for_it():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), g=200)
    b = auth(2, date(2026, 1, 1), date(2026, 6, 30), g=1000)
    courses = [course(1, day(0)), course(2, day(28)), course(3, day(56)), course(4, day(84))]
    # 70 + 70 fit in A; the third (Mar 2) needs 70 and A has 60 left: B; the fourth (Mar 30)
    # still has no room in A. Charged in the order of first day, whatever the list's order.
    assert charge([b, a], reversed(courses)) == {1: 1, 2: 1, 3: 2, 4: 2}


def test_room_means_the_whole_course_in_grams_and_one_course():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), courses=2)  # no limit in grams
    b = auth(2, date(2026, 1, 1), date(2026, 6, 30))
    assert charge([a, b], [course(1, day(0)), course(2, day(28)), course(3, day(56))]) == {
        1: 1,
        2: 1,
        3: 2,  # A has no course left
    }
    exact = auth(3, date(2026, 1, 1), date(2026, 3, 31), g=140)
    assert charge([exact, b], [course(1, day(0)), course(2, day(28))]) == {1: 3, 2: 3}


def test_with_no_room_anywhere_the_earliest_ending_takes_it_and_goes_below_zero():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), g=100)
    b = auth(2, date(2026, 1, 1), date(2026, 4, 30), g=50)
    report = by_ref(standings([a, b], [course(1, day(0)), course(2, day(28))]))
    assert report["PA-1"].course_ids == (1, 2)
    assert (report["PA-1"].used_g, report["PA-1"].remaining_g) == (140, -40)  # the shortfall
    assert report["PA-2"].course_ids == ()


def test_ties_go_by_first_day_then_id_and_by_ends_on_then_the_lowest_id():
    a = auth(7, date(2026, 1, 1), date(2026, 3, 31), courses=1)
    b = auth(3, date(2026, 1, 1), date(2026, 3, 31), courses=1)
    # Two courses on one day: the lower id is charged first, to the lower authorisation id.
    assert charge([a, b], [course(9, day(0)), course(4, day(0))]) == {4: 3, 9: 7}


def test_only_authorisations_whose_days_hold_the_first_day_are_charged():
    a = auth(1, day(1), day(40))
    # A course starting the day before is not charged, though its second day is inside; one
    # on ends_on is (both ends included).
    assert charge([a], [course(1, day(0)), course(2, day(40)), course(3, day(41))]) == {2: 1}


# --- used, booked, remaining ------------------------------------------------------------


def test_used_is_the_given_courses_and_booked_the_booked_ones_at_their_own_dose():
    a = auth(1, date(2026, 1, 1), date(2026, 12, 31), g=500, courses=6)
    courses = (
        CourseFact(1, day(0), "given"),
        CourseFact(2, day(28), "given"),
        CourseFact(3, day(56), "booked"),  # planned dose 80 g
        CourseFact(4, day(84), "booked"),  # no planned dose: the regimen's 70 g
        CourseFact(5, day(90), "cancelled"),  # not charged at all
    )
    doses = {1: 72.5, 2: 70.0, 3: 80.0}
    funded = funded_courses(courses, regimens=[REGIMEN], doses=doses, on=day(40))
    (s,) = standings([a], funded)
    assert (s.used_g, s.used_courses, s.booked_g, s.booked_courses) == (142.5, 2, 150, 2)
    assert (s.remaining_g, s.remaining_courses) == (207.5, 2)
    assert s.to_dict()["remaining_g"] == 207.5


def test_a_course_given_after_the_day_evaluated_counts_as_booked_on_it():
    courses = (CourseFact(1, day(0), "given"), CourseFact(2, day(28), "given"))
    funded = funded_courses(courses, regimens=[REGIMEN], doses={}, on=day(10))
    assert [c.given for c in funded] == [True, False]


def test_a_booking_is_charged_at_the_dose_of_the_regimen_current_on_its_day():
    later = RegimenFact(2, day(50), 1.25, 28, dose_g=90.0)
    assert course_grams(CourseFact(3, day(56), "booked"), [REGIMEN, later], {}) == 90
    assert course_grams(CourseFact(3, day(49), "booked"), [REGIMEN, later], {}) == 70
    # Without a dose anywhere (a regimen written without a weight) it weighs nothing.
    assert course_grams(CourseFact(3, day(1), "booked"), [RegimenFact(1, D, 1.0, 28)], {}) == 0


def test_remaining_is_null_where_there_is_no_such_limit():
    (s,) = standings([auth(1, D, day(90))], [course(1, day(0))])
    assert (s.remaining_g, s.remaining_courses) == (None, None)
    assert s.to_dict() == {
        "id": 1,
        "payer": "NHS England",
        "reference": "PA-1",
        "starts_on": D,
        "ends_on": day(90),
        "approved_g": None,
        "approved_courses": None,
        "used_g": 70.0,
        "used_courses": 1,
        "booked_g": 0.0,
        "booked_courses": 0,
        "remaining_g": None,
        "remaining_courses": None,
        "projected_exhausted_on": None,
    }


# --- the projection ---------------------------------------------------------------------


def test_the_projection_starts_at_the_due_day_or_today_or_after_the_last_booking():
    assert projection_start(on=day(10), due_on=day(28), last_booking_on=None, interval_days=28) == (
        day(28)
    )
    # Overdue: the next course can only be today or later.
    assert projection_start(on=day(40), due_on=day(28), last_booking_on=None, interval_days=28) == (
        day(40)
    )
    assert projection_start(
        on=day(10), due_on=day(28), last_booking_on=day(29), interval_days=28
    ) == day(57)
    assert projection_start(on=D, due_on=None, last_booking_on=None, interval_days=28) is None


def _exhausted(a, courses, first, interval=28, dose=70.0):
    (s,) = standings([a], courses, first_projected_on=first, interval_days=interval,
                     projected_dose_g=dose)  # fmt: skip
    return s.projected_exhausted_on


def test_projected_exhaustion_is_the_first_projected_day_that_goes_over():
    # 420 g (6 courses of 70): 2 used, projected from Mar 2 every 28 days: the 5th projected
    # course (Jun 22) brings 490 g, over 420; at the 4th (May 25) it is exactly 420, not over.
    a = auth(1, date(2026, 1, 1), date(2026, 12, 31), g=420)
    used = [course(1, day(0)), course(2, day(28))]
    assert _exhausted(a, used, day(56)) == date(2026, 6, 22)
    # A booking counts as well: the projection then starts after it (Mar 3 + 28).
    booked = [*used, course(3, day(57), given=False)]
    assert _exhausted(a, booked, day(57 + 28)) == date(2026, 6, 23)


def test_projected_exhaustion_by_courses_and_by_whichever_comes_first():
    used = [course(1, day(0)), course(2, day(28))]
    by_courses = auth(1, date(2026, 1, 1), date(2026, 12, 31), courses=4)
    assert _exhausted(by_courses, used, day(56)) == day(56 + 2 * 28)  # the 5th course
    both = auth(2, date(2026, 1, 1), date(2026, 12, 31), g=420, courses=4)
    assert _exhausted(both, used, day(56)) == day(112)


def test_projected_exhaustion_is_null_when_nothing_goes_over_by_ends_on():
    a = auth(1, date(2026, 1, 1), date(2026, 6, 21), g=420)
    assert _exhausted(a, [course(1, day(0)), course(2, day(28))], day(56)) is None
    assert _exhausted(auth(2, D, date(2026, 12, 31)), [], day(56)) is None  # no limit


def test_already_over_runs_out_at_the_first_projected_day():
    a = auth(1, date(2026, 1, 1), date(2026, 12, 31), g=100)
    assert _exhausted(a, [course(1, day(0)), course(2, day(28))], day(56)) == day(56)


def test_projected_days_before_an_authorisation_starts_are_not_its_own():
    # Renewal from Apr 1: the projected Mar 30 course is not charged to it; Apr 27 on are.
    renewal = auth(2, date(2026, 4, 1), date(2026, 12, 31), courses=2)
    assert _exhausted(renewal, [], day(56)) == date(2026, 5, 25) + timedelta(days=28)


# --- authorization_ending ---------------------------------------------------------------


def _standing(a, exhausted=None):
    return AuthorizationStanding(a, projected_exhausted_on=exhausted)


def test_ending_from_30_days_before_ends_on():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31))
    assert ending([_standing(a)], on=date(2026, 3, 1), notice_days=30) == (
        date(2026, 3, 31),
        "authorisation PA-1 ends on 31 Mar 2026",
    )
    assert ending([_standing(a)], on=date(2026, 2, 28), notice_days=30) is None
    assert ending([_standing(a)], on=date(2026, 2, 28), notice_days=31) is not None
    # In force only: after ends_on (or before starts_on) the authorisation raises nothing.
    assert ending([_standing(a)], on=date(2026, 4, 1), notice_days=30) is None
    future = auth(2, date(2026, 5, 1), date(2026, 5, 20))
    assert ending([_standing(future)], on=date(2026, 4, 25), notice_days=30) is None


def test_ending_when_projected_to_run_out_within_30_days():
    a = auth(1, date(2026, 1, 1), date(2026, 12, 31), g=420)
    on = date(2026, 5, 23)
    assert ending([_standing(a, date(2026, 6, 22))], on=on, notice_days=30) == (
        date(2026, 6, 22),
        "authorisation PA-1 is projected to run out on 22 Jun 2026",
    )
    assert ending([_standing(a, date(2026, 6, 23))], on=on, notice_days=30) is None


@pytest.mark.parametrize(
    ("starts", "ends", "renewed"),
    [
        (date(2026, 4, 1), date(2026, 9, 30), True),  # the day after ends_on
        (date(2026, 3, 15), date(2026, 9, 30), True),  # overlapping
        (date(2026, 1, 1), date(2026, 4, 1), True),  # started before, ends a day later
        (date(2026, 4, 2), date(2026, 9, 30), False),  # a gap of a day
        (date(2026, 3, 1), date(2026, 3, 31), False),  # ends on the same day
        (date(2026, 1, 1), date(2026, 2, 28), False),  # ends before
    ],
)
def test_a_renewal_in_place_silences_ending(starts, ends, renewed):
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31))
    other = auth(2, starts, ends)
    found = ending([_standing(a), _standing(other)], on=date(2026, 3, 20), notice_days=30)
    flagged = {text.split()[1] for text in found[1].split("; ")} if found else set()
    assert ("PA-1" not in flagged) == renewed


def test_the_earliest_day_that_bites_is_kept_and_every_flagged_authorisation_named():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31))
    b = auth(2, date(2026, 2, 1), date(2026, 3, 31), g=300, ref="NA-9")  # no renewal of a
    found = ending(
        [_standing(a), _standing(b, date(2026, 3, 25))], on=date(2026, 3, 20), notice_days=30
    )
    assert found is not None and found[0] == date(2026, 3, 25)
    assert "PA-1 ends on" in found[1] and "NA-9 is projected to run out" in found[1]
    # One that ends later is a renewal of the other: only it is left to flag.
    c = auth(3, date(2026, 1, 1), date(2026, 4, 5), ref="NA-10")
    found = ending([_standing(a), _standing(c)], on=date(2026, 3, 20), notice_days=30)
    assert found == (date(2026, 4, 5), "authorisation NA-10 ends on 05 Apr 2026")


# --- authorization_missing --------------------------------------------------------------


def test_missing_when_the_next_due_day_or_the_next_booking_lies_in_none():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31))
    on = date(2026, 3, 10)
    assert missing([a], on=on, due_on=date(2026, 3, 30), next_booking_on=None) is None
    assert missing([a], on=on, due_on=date(2026, 4, 27), next_booking_on=None) == (
        date(2026, 4, 27),
        "no authorisation covers the course due on 27 Apr 2026",
    )
    assert missing([a], on=on, due_on=date(2026, 3, 30), next_booking_on=date(2026, 4, 2)) == (
        date(2026, 4, 2),
        "no authorisation covers the course booked for 02 Apr 2026",
    )
    assert missing([], on=on, due_on=date(2026, 3, 30), next_booking_on=None) is not None
    # A due day already past: the next course is due today, and today is covered.
    late = auth(2, on, date(2026, 6, 30))
    assert missing([late], on=on, due_on=date(2026, 3, 2), next_booking_on=None) is None


# --- booking and giving -----------------------------------------------------------------


def test_a_course_no_authorisation_covers_is_refused_naming_the_day():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), g=1000)
    refusal = check_course_funding(
        authorizations=[a], courses=[], course=course(NEW_COURSE_ID, date(2026, 4, 6))
    )
    assert refusal is not None and refusal.reference is None
    assert "no authorisation covers 06 Apr 2026" in refusal.message


def test_a_course_beyond_the_remaining_grams_is_refused_naming_the_reference_and_shortfall():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), g=200, ref="IVIG-2026-017")
    used = [course(1, day(0)), course(2, day(28))]
    refusal = check_course_funding(
        authorizations=[a], courses=used, course=course(NEW_COURSE_ID, day(56), given=False)
    )
    assert refusal is not None
    assert (refusal.reference, refusal.short_g, refusal.short_courses) == (
        "IVIG-2026-017",
        10,
        None,
    )
    assert "IVIG-2026-017" in refusal.message and "10 g short" in refusal.message
    # Another authorisation with room takes it instead: nothing is refused.
    b = auth(2, date(2026, 1, 1), date(2026, 6, 30), g=70)
    assert (
        check_course_funding(
            authorizations=[a, b], courses=used, course=course(NEW_COURSE_ID, day(56))
        )
        is None
    )


def test_a_course_beyond_the_remaining_courses_is_refused_naming_the_shortfall():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), courses=2, ref="BS-4411")
    used = [course(1, day(0)), course(2, day(28))]
    refusal = check_course_funding(
        authorizations=[a], courses=used, course=course(NEW_COURSE_ID, day(56))
    )
    assert refusal is not None and "BS-4411: 1 course short" in refusal.message
    # Exactly the last course approved fits.
    assert (
        check_course_funding(authorizations=[a], courses=used[:1], course=course(9, day(56)))
        is None
    )


def test_a_stored_course_is_checked_at_its_new_day_or_dose_not_twice():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), g=140)
    stored = [course(1, day(0)), course(2, day(28), given=False)]
    # Recording the booked course as given a day late at its planned 70 g: still within the
    # 140 g (the course is not counted a second time).
    assert (
        check_course_funding(authorizations=[a], courses=stored, course=course(2, day(29))) is None
    )
    refusal = check_course_funding(
        authorizations=[a], courses=stored, course=course(2, day(29), 75.0)
    )
    assert refusal is not None and refusal.short_g == 5


# --- the evaluation ---------------------------------------------------------------------


def _patient(*, authorizations, courses=None, status="active", bookings=()):
    given = courses if courses is not None else (day(0), day(28))
    return PatientFacts(
        status=status,
        regimens=(REGIMEN,),
        courses=tuple(CourseFact(i + 1, d, "given") for i, d in enumerate(given))
        + tuple(CourseFact(100 + i, d, "booked") for i, d in enumerate(bookings)),
        weight_dates=(D,),
        authorizations=tuple(authorizations),
        course_doses=tuple((i + 1, 70.0) for i in range(len(given))),
    )


def _both(facts, on, policy=REQUIRED):
    full = evaluate(facts, on=on, policy=policy)
    assert evaluate_packed(PackedFacts.of(facts), on=on, policy=policy) == as_swept(full)
    return full


def test_the_evaluation_raises_ending_with_the_day_it_bites_and_lists_the_figures():
    # 420 g from Jan 1; 2 courses given; the projection (from the due day Mar 2) runs out
    # on Jun 22. From May 23 that is within 30 days, provided the patient stays on time.
    a = auth(1, date(2026, 1, 1), date(2026, 12, 31), g=420)
    on = date(2026, 2, 20)
    ev = _both(_patient(authorizations=[a]), on, SitePolicy())
    assert not ev.has_flag("authorization_ending")
    (s,) = ev.authorizations
    assert (s.used_g, s.remaining_g, s.projected_exhausted_on) == (140, 280, date(2026, 6, 22))
    history = [day(28 * k) for k in range(5)]  # given on time up to May 25
    ev = _both(_patient(authorizations=[a], courses=history), date(2026, 5, 25), SitePolicy())
    assert ev.has_flag("authorization_ending")
    assert ev.authorization_ending_on == date(2026, 6, 22)
    assert ev.flag_codes[-1] == "authorization_ending"  # after the clinical flags
    assert "run out on 22 Jun 2026" in next(
        f.detail for f in ev.flags if f.code == "authorization_ending"
    )


def test_the_evaluation_raises_missing_only_when_authorisations_are_required():
    a = auth(1, date(2026, 1, 1), date(2026, 2, 28))
    facts = _patient(authorizations=[a])  # due Mar 2, outside it
    policy = dataclasses.replace(REQUIRED, authorization_notice_days=10)
    not_required = dataclasses.replace(policy, authorizations_required=False)
    assert _both(facts, date(2026, 2, 10), not_required).flag_codes == ()
    ev = _both(facts, date(2026, 2, 10), policy)
    assert ev.flag_codes == ("authorization_missing",)  # its end is 18 days away
    assert ev.authorization_missing_on == date(2026, 3, 2)
    ev = _both(facts, date(2026, 2, 18), policy)  # from 10 days before its end
    assert ev.flag_codes[-2:] == ("authorization_ending", "authorization_missing")


def test_no_funding_flag_for_a_patient_on_hold_but_the_figures_stay():
    a = auth(1, date(2026, 1, 1), date(2026, 2, 28), g=100)
    ev = _both(_patient(authorizations=[a], status="on_hold"), date(2026, 2, 10))
    assert ev.flags == () and ev.authorization_missing_on is None
    (s,) = ev.authorizations
    assert (s.remaining_g, s.projected_exhausted_on) == (-40, None)


def test_without_a_regimen_the_figures_stay_and_nothing_is_projected():
    a = auth(1, date(2026, 1, 1), date(2026, 12, 31), g=100)
    facts = dataclasses.replace(_patient(authorizations=[a]), regimens=())
    ev = _both(facts, date(2026, 2, 10))
    assert ev.flags == () and ev.authorizations[0].used_courses == 2


def test_a_booking_takes_the_projection_after_it_and_is_checked_for_cover():
    a = auth(1, date(2026, 1, 1), date(2026, 3, 31), g=1000)
    facts = _patient(authorizations=[a], bookings=(date(2026, 4, 1),))
    # Overdue since Mar 5: the next course is due today, Mar 20, which is covered; the
    # booking of Apr 1 is not.
    ev = _both(facts, date(2026, 3, 20))
    assert ev.authorization_missing_on == date(2026, 4, 1)
    assert "booked for 01 Apr 2026" in next(
        f.detail for f in ev.flags if f.code == "authorization_missing"
    )


# --- properties -------------------------------------------------------------------------

PROPERTY = settings(max_examples=300, deadline=None)


@st.composite
def _authorizations(draw):
    out = []
    for i in range(draw(st.integers(0, 4))):
        starts = day(draw(st.integers(-30, 200)))
        out.append(
            auth(
                i + 1,
                starts,
                starts + timedelta(days=draw(st.integers(0, 300))),
                g=draw(st.sampled_from((None, 0.5, 70.0, 150.0, 420.0, 1000.0))),
                courses=draw(st.sampled_from((None, 1, 2, 6))),
            )
        )
    return out


@st.composite
def _courses(draw):
    return [
        FundedCourse(
            cid,
            day(draw(st.integers(-10, 400))),
            draw(st.sampled_from((0.0, 35.0, 70.0, 72.5, 140.0))),
            draw(st.booleans()),
        )
        for cid in draw(st.lists(st.integers(1, 60), unique=True, max_size=25))
    ]


@PROPERTY
@given(authorizations=_authorizations(), courses=_courses())
def test_every_covered_course_is_charged_once_to_one_that_covers_it(authorizations, courses):
    charged = charge(authorizations, courses)
    by_id = {a.id: a for a in authorizations}
    for c in courses:
        covered = any(a.covers(c.starts_on) for a in authorizations)
        assert (c.id in charged) == covered
        if covered:
            assert by_id[charged[c.id]].covers(c.starts_on)
    report = standings(authorizations, courses)
    assert sum(s.used_courses + s.booked_courses for s in report) == len(charged)
    for s in report:
        a = s.authorization
        if a.approved_g is not None:
            assert s.remaining_g == pytest.approx(a.approved_g - s.used_g - s.booked_g)
        if a.approved_courses is not None:
            assert s.remaining_courses == a.approved_courses - s.used_courses - s.booked_courses


@PROPERTY
@given(authorizations=_authorizations(), courses=_courses())
def test_a_course_goes_past_an_earlier_ending_authorisation_only_when_that_one_was_full(
    authorizations, courses
):
    charged = charge(authorizations, courses)
    ordered = sorted(courses, key=lambda c: (c.starts_on, c.id))
    for i, c in enumerate(ordered):
        if c.id not in charged:
            continue
        taken = next(a for a in authorizations if a.id == charged[c.id])
        before = ordered[:i]
        for a in authorizations:
            if not a.covers(c.starts_on) or (a.ends_on, a.id) >= (taken.ends_on, taken.id):
                continue
            # An earlier-ending one was passed over: it had no room for the whole course.
            mine = [b for b in before if charged.get(b.id) == a.id]
            no_grams = a.approved_g is not None and (
                a.approved_g - sum(b.grams for b in mine) < c.grams - 1e-9
            )
            no_course = a.approved_courses is not None and a.approved_courses - len(mine) < 1
            assert no_grams or no_course


@PROPERTY
@given(
    authorizations=_authorizations(),
    courses=_courses(),
    first=st.integers(-20, 300),
    interval=st.integers(7, 56),
    dose=st.sampled_from((0.0, 35.0, 70.0, 72.5, 0.1)),
)
def test_the_projection_agrees_with_counting_day_by_day(
    authorizations, courses, first, interval, dose
):
    report = standings(
        authorizations,
        courses,
        first_projected_on=day(first),
        interval_days=interval,
        projected_dose_g=dose,
    )
    for s in report:
        a = s.authorization
        grams, count, expected = s.used_g + s.booked_g, s.used_courses + s.booked_courses, None
        projected = day(first)
        while projected <= a.ends_on:
            if projected >= a.starts_on:
                grams, count = grams + dose, count + 1
                over_g = a.approved_g is not None and grams > a.approved_g + 1e-9
                over_n = a.approved_courses is not None and count > a.approved_courses
                if over_g or over_n:
                    expected = projected
                    break
            projected += timedelta(days=interval)
        assert s.projected_exhausted_on == expected


def test_in_play_keeps_the_authorisations_not_ended_and_those_overlapping_them_in_a_chain():
    on = date(2026, 6, 1)
    current = auth(1, date(2026, 5, 1), date(2026, 12, 31))
    overlapping = auth(2, date(2026, 2, 1), date(2026, 5, 15))  # ended, overlaps current
    chained = auth(3, date(2026, 1, 1), date(2026, 2, 10))  # ended, overlaps only 2
    before = auth(4, date(2025, 1, 1), date(2025, 12, 31))  # ended, touches none of them
    renewal = auth(5, date(2027, 1, 1), date(2027, 12, 31))  # not started: kept
    kept = in_play([renewal, before, chained, overlapping, current], on)
    assert [a.id for a in kept] == [3, 2, 1, 5]  # by start day
    assert in_play([before], on) == ()
    # The charge of the courses from the earliest kept start, among the kept, is the charge
    # of every course among every authorisation: 2 and 3 compete for February's courses.
    courses = [course(k, date(2025, 6, 1) + timedelta(days=28 * k)) for k in range(20)]
    everything = [renewal, before, chained, overlapping, current]
    full = charge(everything, courses)
    part = charge(kept, [c for c in courses if c.starts_on >= date(2026, 1, 1)])
    assert part == {cid: aid for cid, aid in full.items() if aid in {1, 2, 3, 5}}
