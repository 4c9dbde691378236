"""Funding authorisations (section 8 of the clinical rules), in one place.

Which authorisation each course is charged to, what each has used, has booked and has left,
the day it is projected to run out, the two funding flags, and whether a course may be
booked or given. Pure: plain facts and the day evaluated in, figures out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from tracker.rules.facts import BOOKED, GIVEN, AuthorizationFact, CourseFact, RegimenFact
from tracker.rules.window import current_regimen
from tracker.rules.wording import date_text

__all__ = [
    "NEW_COURSE_ID",
    "AuthorizationFact",
    "AuthorizationStanding",
    "FundedCourse",
    "FundingBar",
    "FundingRefusal",
    "FundingReport",
    "charge",
    "check_course_funding",
    "course_grams",
    "ending",
    "funded_courses",
    "funded_days",
    "funding_bar",
    "funding_report",
    "in_play",
    "missing",
    "preview_course",
    "projection_start",
    "standings",
]

# Doses are sums of halves and tenths of a gram held as floats: "more than" allows for that.
GRAM_TOLERANCE = 1e-9
# A course not yet stored is charged after every stored course of its day (it gets the
# highest id when written).
NEW_COURSE_ID = 2**63 - 1


class FundedCourse(NamedTuple):
    """A course as it is charged: its first day, its grams, and whether it counts as used
    (given on or before the day evaluated) or as booked. (A tuple: the sweep makes some
    forty per patient.)"""

    id: int
    starts_on: date
    grams: float
    given: bool = False


@dataclass(frozen=True)
class AuthorizationStanding:
    """One authorisation's figures on the day evaluated (section 8).

    `used_*`: the given courses charged to it; `booked_*`: the booked ones. Remaining figures
    may go below zero (the shortfall) and are None where the authorisation sets no limit.
    """

    authorization: AuthorizationFact
    used_g: float = 0.0
    used_courses: int = 0
    booked_g: float = 0.0
    booked_courses: int = 0
    projected_exhausted_on: date | None = None
    course_ids: tuple[int, ...] = ()  # the courses charged to it, in charging order

    @property
    def remaining_g(self) -> float | None:
        """approved_g - used_g - booked_g (None without a limit in grams)."""
        approved = self.authorization.approved_g
        return None if approved is None else _grams(approved - self.used_g - self.booked_g)

    @property
    def remaining_courses(self) -> int | None:
        """approved_courses - used_courses - booked_courses (None without such a limit)."""
        approved = self.authorization.approved_courses
        return None if approved is None else approved - self.used_courses - self.booked_courses

    def to_dict(self) -> dict[str, Any]:
        """The API's view of the authorisation and its figures."""
        a = self.authorization
        return {
            "id": a.id,
            "payer": a.payer,
            "reference": a.reference,
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
            "approved_g": a.approved_g,
            "approved_courses": a.approved_courses,
            "used_g": _grams(self.used_g),
            "used_courses": self.used_courses,
            "booked_g": _grams(self.booked_g),
            "booked_courses": self.booked_courses,
            "remaining_g": self.remaining_g,
            "remaining_courses": self.remaining_courses,
            "projected_exhausted_on": self.projected_exhausted_on,
        }


@dataclass(frozen=True)
class FundingReport:
    """Every authorisation's standing and the funding flags, for one patient and day.

    `ending_on` and `missing_on` are the days the flags' causes bite (None: flag off): the
    earliest end or projected exhaustion of a flagged authorisation, and the first day of
    the next course that no authorisation covers.
    """

    standings: tuple[AuthorizationStanding, ...] = ()
    ending_on: date | None = None
    ending_detail: str = ""
    missing_on: date | None = None
    missing_detail: str = ""


@dataclass(frozen=True)
class FundingRefusal:
    """Why a course may not be booked or given without an override reason."""

    day: date
    reference: str | None = None  # None: no authorisation covers the day
    short_g: float | None = None
    short_courses: int | None = None
    grams: float = 0.0

    @property
    def message(self) -> str:
        """The 409's words: the reference and the shortfall, or the day no one covers."""
        if self.reference is None:
            return (
                f"no authorisation covers {date_text(self.day)}: record one that does, or "
                "give an override_reason to go ahead"
            )
        short = []
        if self.short_g is not None:
            short.append(f"{_g(self.short_g)} g short")
        if self.short_courses is not None:
            plural = "s" if self.short_courses != 1 else ""
            short.append(f"{self.short_courses} course{plural} short")
        return (
            f"beyond authorisation {self.reference}: {' and '.join(short)} for the course on "
            f"{date_text(self.day)} ({_g(self.grams)} g); give an override_reason to go ahead"
        )


def course_grams(
    course: CourseFact, regimens: Sequence[RegimenFact], doses: Mapping[int, float]
) -> float:
    """A course's grams: its own dose (given, or planned for a booking), else the dose_g of
    the regimen current on its first day (0 when that is unknown too)."""
    own = doses.get(course.id)
    if own is not None:
        return own
    regimen = current_regimen(regimens, course.starts_on)
    return regimen.dose_g if regimen is not None and regimen.dose_g is not None else 0.0


def funded_courses(
    courses: Iterable[CourseFact],
    *,
    regimens: Sequence[RegimenFact],
    doses: Mapping[int, float],
    on: date,
) -> list[FundedCourse]:
    """The given and booked courses as charged on day `on`: a course given after `on` was
    still a booking then (as everywhere in the rules)."""
    return [
        FundedCourse(
            c.id,
            c.starts_on,
            course_grams(c, regimens, doses),
            given=c.status == GIVEN and c.starts_on <= on,
        )
        for c in courses
        if c.status in (GIVEN, BOOKED)
    ]


def in_play(authorizations: Iterable[AuthorizationFact], on: date) -> tuple[AuthorizationFact, ...]:
    """The authorisations whose figures can still matter on day `on`: those not ended
    before it, and any whose days overlap one of those (and so on), by start day then id.

    A course is charged among the authorisations covering its first day only, so these
    are charged exactly as with every authorisation and every course counted; the others
    ended before `on`, can have no projection and raise no flag (the sweep leaves them out).
    """
    kept = [a for a in authorizations if a.ends_on >= on]
    ended = [a for a in authorizations if a.ends_on < on]
    if not kept:
        return ()
    # Every kept one ends on or after `on`, so an ended one overlaps a kept one exactly when
    # it ends on or after that one's start: the earliest start is all that is needed.
    earliest = min(a.starts_on for a in kept)
    while True:
        joining = [a for a in ended if a.ends_on >= earliest]
        if not joining:
            break
        kept += joining
        ended = [a for a in ended if a.ends_on < earliest]
        earliest = min(earliest, *(a.starts_on for a in joining))
    return tuple(sorted(kept, key=lambda a: (a.starts_on, a.id)))


def funded_days(
    given_days: Sequence[int],
    given_ids: Sequence[int],
    bookings: Iterable[CourseFact],
    *,
    regimens: Sequence[RegimenFact],
    doses: Mapping[int, float],
    on: date,
    since: date = date.min,
) -> list[FundedCourse]:
    """funded_courses of given courses held as day numbers and ids (the sweep's packed
    facts) and of booked courses, without building a CourseFact for each given one; only
    the courses from day `since` on."""
    today, first = on.toordinal(), since.toordinal()
    funded = []
    for day, course_id in zip(given_days, given_ids, strict=True):
        if day < first:
            continue
        starts_on = date.fromordinal(day)
        grams = doses.get(course_id)
        if grams is None:
            grams = course_grams(CourseFact(course_id, starts_on, GIVEN), regimens, doses)
        funded.append(FundedCourse(course_id, starts_on, grams, day <= today))
    later = [c for c in bookings if c.starts_on >= since]
    return funded + funded_courses(later, regimens=regimens, doses=doses, on=on)


def charge(
    authorizations: Iterable[AuthorizationFact], courses: Iterable[FundedCourse]
) -> dict[int, int]:
    """Each course's authorisation: course id -> authorisation id (a course no authorisation
    covers is left out).

    Courses are charged in order of first day, then id, each to the authorisation covering
    its first day with the earliest ends_on (then the lowest id) that still has room for the
    whole course (its grams and one course) after those charged before it; when none has,
    to the earliest-ending of them.
    """
    ordered = sorted(authorizations, key=lambda a: (a.ends_on, a.id))
    # Plain lists indexed alike: this runs for every course of every patient in the sweep.
    spans = [(a.starts_on, a.ends_on) for a in ordered]
    grams_left = [a.approved_g for a in ordered]
    courses_left = [a.approved_courses for a in ordered]
    charged: dict[int, int] = {}
    for course in sorted(courses, key=lambda c: (c.starts_on, c.id)):
        day, grams = course.starts_on, course.grams
        first = chosen = -1
        for k, (starts_on, ends_on) in enumerate(spans):
            if not starts_on <= day <= ends_on:
                continue
            if first < 0:
                first = k
            g, n = grams_left[k], courses_left[k]
            if (g is None or g >= grams - GRAM_TOLERANCE) and (n is None or n >= 1):
                chosen = k
                break
        if first < 0:
            continue
        if chosen < 0:
            chosen = first
        charged[course.id] = ordered[chosen].id
        g, n = grams_left[chosen], courses_left[chosen]
        grams_left[chosen] = None if g is None else g - grams
        courses_left[chosen] = None if n is None else n - 1
    return charged


def projection_start(
    *, on: date, due_on: date | None, last_booking_on: date | None, interval_days: int
) -> date | None:
    """The first projected course day: the last booking on or after `on` plus the interval,
    or, with none, the later of the due day and `on` (None without a due day)."""
    if last_booking_on is not None:
        return last_booking_on + timedelta(days=interval_days)
    if due_on is None:
        return None
    return max(due_on, on)


def standings(
    authorizations: Iterable[AuthorizationFact],
    courses: Sequence[FundedCourse],
    *,
    first_projected_on: date | None = None,
    interval_days: int | None = None,
    projected_dose_g: float | None = None,
) -> tuple[AuthorizationStanding, ...]:
    """Each authorisation's used, booked and projected exhaustion day, by start day then id.

    The projection (when `first_projected_on` and `interval_days` are given) is a course every
    `interval_days` from `first_projected_on`, each of `projected_dose_g` grams; an
    authorisation counts those on its own days, and runs out on the first of them at which
    used + booked + the projected courses so far exceed approved_g or approved_courses.
    """
    authorizations = tuple(authorizations)
    charged = charge(authorizations, courses)
    by_id = {c.id: c for c in courses}
    charged_to: dict[int, list[FundedCourse]] = {}
    for cid, aid in charged.items():
        charged_to.setdefault(aid, []).append(by_id[cid])
    out = []
    for a in sorted(authorizations, key=lambda a: (a.starts_on, a.id)):
        mine = charged_to.get(a.id, [])
        mine.sort(key=lambda c: (c.starts_on, c.id))
        used = [c for c in mine if c.given]
        booked = [c for c in mine if not c.given]
        standing = AuthorizationStanding(
            a,
            used_g=sum(c.grams for c in used),
            used_courses=len(used),
            booked_g=sum(c.grams for c in booked),
            booked_courses=len(booked),
            course_ids=tuple(c.id for c in mine),
        )
        if first_projected_on is not None and interval_days is not None:
            standing = _with_projection(
                standing, first_projected_on, interval_days, projected_dose_g or 0.0
            )
        out.append(standing)
    return tuple(out)


def _with_projection(
    s: AuthorizationStanding, first: date, interval: int, dose_g: float
) -> AuthorizationStanding:
    a = s.authorization
    # The first projected day in the authorisation's period, and how many fit in it.
    skip = max(0, math.ceil((a.starts_on - first).days / interval))
    day0 = first + timedelta(days=skip * interval)
    if day0 > a.ends_on:
        return s
    fitting = (a.ends_on - day0).days // interval + 1
    needed = [
        n
        for n in (
            _courses_to_exceed(a.approved_courses, s.used_courses + s.booked_courses),
            _grams_to_exceed(a.approved_g, s.used_g + s.booked_g, dose_g),
        )
        if n is not None
    ]
    if not needed or min(needed) > fitting:
        return s
    exhausted = day0 + timedelta(days=(min(needed) - 1) * interval)
    return AuthorizationStanding(
        a,
        s.used_g,
        s.used_courses,
        s.booked_g,
        s.booked_courses,
        projected_exhausted_on=exhausted,
        course_ids=s.course_ids,
    )


def _courses_to_exceed(approved: int | None, counted: int) -> int | None:
    # The number n >= 1 of projected courses at which counted + n > approved.
    if approved is None:
        return None
    return max(1, approved - counted + 1)


def _grams_to_exceed(approved: float | None, counted: float, dose_g: float) -> int | None:
    # The number n >= 1 of projected courses at which counted + n x dose_g > approved.
    if approved is None:
        return None
    if counted > approved + GRAM_TOLERANCE:
        return 1
    if dose_g <= 0:
        return None  # nothing projected adds grams: never
    n = max(1, math.floor((approved - counted) / dose_g) + 1)
    # The division is a float: settle the last step by the sums themselves.
    while n > 1 and counted + (n - 1) * dose_g > approved + GRAM_TOLERANCE:
        n -= 1
    while counted + n * dose_g <= approved + GRAM_TOLERANCE:
        n += 1
    return n


def ending(
    report: Sequence[AuthorizationStanding], *, on: date, notice_days: int
) -> tuple[date, str] | None:
    """`authorization_ending` on day `on`: (the day it bites, the detail), else None.

    For an authorisation in force on `on` with no renewal in place (no other authorisation
    starting on or before its ends_on + 1 day and ending after it): `on` is on or after
    ends_on - notice_days, or it is projected to run out on or before on + notice_days.
    """
    notice = timedelta(days=notice_days)
    flagged: list[tuple[date, str]] = []
    for s in report:
        a = s.authorization
        if not a.covers(on):
            continue
        renewed = any(
            o.authorization.id != a.id
            and o.authorization.starts_on <= a.ends_on + timedelta(days=1)
            and o.authorization.ends_on > a.ends_on
            for o in report
        )
        if renewed:
            continue
        out = s.projected_exhausted_on
        running_out = out is not None and out <= on + notice
        if running_out and out is not None:
            flagged.append((out, f"{_named(a)} is projected to run out on {date_text(out)}"))
        elif on >= a.ends_on - notice:
            # (A projected exhaustion, on or before ends_on, would be within the notice too.)
            flagged.append((a.ends_on, f"{_named(a)} ends on {date_text(a.ends_on)}"))
    if not flagged:
        return None
    flagged.sort()
    return flagged[0][0], "; ".join(text for _day, text in flagged)


def missing(
    authorizations: Iterable[AuthorizationFact],
    *,
    on: date,
    due_on: date | None,
    next_booking_on: date | None,
) -> tuple[date, str] | None:
    """`authorization_missing`: the next due day (the later of the due day and `on`) or the
    next booked course lies in no authorisation; (that day, the detail), else None."""
    authorizations = tuple(authorizations)
    days = sorted(
        {d for d in (max(due_on, on) if due_on else None, next_booking_on) if d is not None}
    )
    for day in days:
        if not any(a.covers(day) for a in authorizations):
            what = "the course booked for" if day == next_booking_on else "the course due on"
            return day, f"no authorisation covers {what} {date_text(day)}"
    return None


def funding_report(
    *,
    authorizations: Sequence[AuthorizationFact],
    courses: Iterable[CourseFact] = (),
    funded: Sequence[FundedCourse] | None = None,
    standing: Sequence[AuthorizationFact] | None = None,
    regimens: Sequence[RegimenFact],
    doses: Mapping[int, float],
    on: date,
    regimen: RegimenFact | None,
    due_on: date | None,
    next_booking_on: date | None,
    last_booking_on: date | None,
    flags: bool,
    notice_days: int,
    required: bool,
) -> FundingReport:
    """Everything section 8 says about one patient on day `on` (`flags`: whether the patient
    can have flags at all, i.e. is active with a regimen; the projection needs the same).
    `funded`: the courses as funded_courses gives them, where the caller has them already;
    `standing`: the authorisations to give figures for (all of them when None), such as
    in_play's, with the courses they can be charged."""
    if not authorizations and not (flags and required):
        return FundingReport()
    if funded is None:
        funded = funded_courses(courses, regimens=regimens, doses=doses, on=on)
    first = (
        projection_start(
            on=on,
            due_on=due_on,
            last_booking_on=last_booking_on,
            interval_days=regimen.interval_days,
        )
        if flags and regimen is not None
        else None
    )
    report = standings(
        authorizations if standing is None else standing,
        funded,
        first_projected_on=first,
        interval_days=regimen.interval_days if regimen is not None else None,
        projected_dose_g=regimen.dose_g if regimen is not None else None,
    )
    if not flags:
        return FundingReport(report)
    ends = ending(report, on=on, notice_days=notice_days)
    lacking = (
        missing(authorizations, on=on, due_on=due_on, next_booking_on=next_booking_on)
        if required
        else None
    )
    return FundingReport(
        report,
        ending_on=ends[0] if ends else None,
        ending_detail=ends[1] if ends else "",
        missing_on=lacking[0] if lacking else None,
        missing_detail=lacking[1] if lacking else "",
    )


def check_course_funding(
    *,
    authorizations: Iterable[AuthorizationFact],
    courses: Iterable[FundedCourse],
    course: FundedCourse,
) -> FundingRefusal | None:
    """Why `course` (new, or a stored one at a new day or dose) may not be booked or given
    without an override reason; None when it may.

    Refused when no authorisation covers its first day, or when, with every other given and
    booked course charged as well, the authorisation it is charged to is left below zero in
    grams or courses (the shortfall).
    """
    authorizations = tuple(authorizations)
    if not any(a.covers(course.starts_on) for a in authorizations):
        return FundingRefusal(day=course.starts_on, grams=course.grams)
    everything = [c for c in courses if c.id != course.id] + [course]
    charged = charge(authorizations, everything)
    chosen = next(a for a in authorizations if a.id == charged[course.id])
    mine = [c for c in everything if charged.get(c.id) == chosen.id]
    short_g = (
        sum(c.grams for c in mine) - chosen.approved_g if chosen.approved_g is not None else None
    )
    short_courses = (
        len(mine) - chosen.approved_courses if chosen.approved_courses is not None else None
    )
    over_g = short_g is not None and short_g > GRAM_TOLERANCE
    over_courses = short_courses is not None and short_courses > 0
    if not (over_g or over_courses):
        return None
    return FundingRefusal(
        day=course.starts_on,
        reference=chosen.reference or f"#{chosen.id}",
        short_g=_grams(short_g) if over_g and short_g is not None else None,
        short_courses=short_courses if over_courses else None,
        grams=course.grams,
    )


@dataclass(frozen=True)
class FundingBar:
    """An authorisation drawn as a bar: used, booked and remaining as shares (0 to 1) of
    its approved grams, or of its approved courses where only courses are limited.

    `basis` is "g", "courses" or "" (no limit: nothing to draw); `over` is how far used +
    booked exceed the approval (in the basis' unit), drawn as a full bar.
    """

    basis: str
    approved: float = 0.0
    used: float = 0.0
    booked: float = 0.0
    used_share: float = 0.0
    booked_share: float = 0.0
    remaining_share: float = 0.0
    over: float = 0.0


def funding_bar(standing: AuthorizationStanding) -> FundingBar:
    """The bar of one authorisation's standing (grams first, else courses, else none)."""
    a = standing.authorization
    if a.approved_g is not None:
        basis, approved = "g", float(a.approved_g)
        used, booked = standing.used_g, standing.booked_g
    elif a.approved_courses is not None:
        basis, approved = "courses", float(a.approved_courses)
        used, booked = float(standing.used_courses), float(standing.booked_courses)
    else:
        return FundingBar(basis="")
    total = max(approved, used + booked)
    used_share = used / total if total > 0 else 0.0
    booked_share = booked / total if total > 0 else 0.0
    return FundingBar(
        basis=basis,
        approved=approved,
        used=_grams(used),
        booked=_grams(booked),
        used_share=used_share,
        booked_share=booked_share,
        remaining_share=max(0.0, approved - used - booked) / total if total > 0 else 0.0,
        over=_grams(max(0.0, used + booked - approved)),
    )


def preview_course(
    *,
    authorizations: Iterable[AuthorizationFact],
    courses: Iterable[FundedCourse],
    course: FundedCourse,
    interval_days: int | None = None,
    projected_dose_g: float | None = None,
) -> AuthorizationStanding | None:
    """What booking `course` would leave on the authorisation it would be charged to: that
    authorisation's standing with the course counted (remaining figures below zero are the
    shortfall), projected onwards from the latest booking then plus the interval; None when
    no authorisation covers its first day."""
    authorizations = tuple(authorizations)
    if not any(a.covers(course.starts_on) for a in authorizations):
        return None
    everything = [c for c in courses if c.id != course.id] + [course]
    charged = charge(authorizations, everything)
    latest = max(c.starts_on for c in everything if not c.given)
    report = standings(
        authorizations,
        everything,
        first_projected_on=(
            latest + timedelta(days=interval_days) if interval_days is not None else None
        ),
        interval_days=interval_days,
        projected_dose_g=projected_dose_g,
    )
    return next(s for s in report if s.authorization.id == charged[course.id])


def _named(a: AuthorizationFact) -> str:
    return f"authorisation {a.reference or '#' + str(a.id)}"


def _grams(value: float) -> float:
    # Sums of tenths held as floats: shown to the milligram, which is as exact as doses go.
    return round(value, 3) + 0.0


def _g(value: float) -> str:
    return f"{_grams(value):g}"
