"""The demo's funding authorisations (clinical rules 8), in every state a site meets.

Each patient's courses are covered by a chain of yearly authorisations ending in a current
one. A few active patients' current authorisation is in a state the worklist flags on the
evaluation day: it ends within the notice (`authorization_ending`), the projection uses it
up within the notice (`authorization_ending` by its projected exhaustion day) or it has
lapsed before the next course (`authorization_missing`, which the demo's policy raises by
requiring authorisations). The draws use their own random stream, so that the rest of the
cohort is the same with or without them.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from random import Random

from tracker.demo import archetypes as arch
from tracker.demo.calendar import days
from tracker.demo.patient import Bundle, Roles
from tracker.rules.vocabulary import CourseStatus

FRESH, ENDING, EXHAUSTED, MISSING = "fresh", "ending", "exhausted", "missing"
STATES = (FRESH, ENDING, EXHAUSTED, MISSING)
PAYERS = ("NHS England", "Regional IVIG panel", "National immunoglobulin programme")
NOTICE_DAYS = 30  # the site policy's default authorization_notice_days
# Established patients whose story leaves room for a funding problem on top.
_SPECIAL_KINDS = (arch.STABLE, arch.WEAR_OFF, arch.PROGRESSIVE, arch.LONG_STABLE)


@dataclass
class Current:
    """A patient's current authorisation as planned, before its state is chosen."""

    patient_id: int
    payer: str
    reference: str
    starts_on: date
    ends_on: date
    approved_courses: int
    approved_g: float
    counted: int  # given and booked courses on its days
    last_given: date | None
    next_on: date | None  # the next booking, else the day the next course is due
    projected_on: date | None  # the first projected course (after the last booking)
    candidate: bool
    state: str = FRESH
    extra: dict = field(default_factory=dict)

    def row(self, rng: Random, today: date) -> dict:
        """The authorisation's columns for its state on `today`."""
        starts, ends = self.starts_on, self.ends_on
        courses: int | None = self.approved_courses
        grams: float | None = self.approved_g
        if self.state == ENDING:
            assert self.next_on is not None
            ends = max(self.next_on, today + days(7)) + days(rng.randint(4, 9))
        elif self.state == EXHAUSTED:
            courses, grams = self.counted, None  # used up (with the bookings): the next runs out
        elif self.state == MISSING:
            assert self.last_given is not None
            low = max(self.last_given, starts)
            ends = low + days(rng.randint(0, (today - low).days - 1))
        return {
            "patient_id": self.patient_id,
            "payer": self.payer,
            "reference": self.reference,
            "starts_on": starts,
            "ends_on": ends,
            "approved_g": grams,
            "approved_courses": courses,
            "recorded_by_id": None,
            "recorded_at": self.extra["recorded_at"],
            "updated_at": self.extra["recorded_at"],
        }


def plan(
    rng: Random, bundle: Bundle, roles: Roles, patient_id: int, today: date, recorded_at
) -> tuple[list[dict], Current]:
    """The patient's past authorisations (rows) and their current one (state still open)."""
    counted = [
        (i.scheduled_on, i.dose_g or 0.0)
        for i, _ in bundle.infusions
        if i.status in (CourseStatus.GIVEN, CourseStatus.BOOKED)
    ]
    counted.sort()
    given = [d for d, _ in counted if d < today]
    booked = [d for d, _ in counted if d >= today]
    regimens = [r for r in bundle.regimens if r.starts_on <= today] or bundle.regimens[:1]
    regimen = max(regimens, key=lambda r: r.starts_on)
    interval = min(r.interval_days for r in bundle.regimens)
    dose = max(r.dose_g or 0.0 for r in bundle.regimens)
    payer = rng.choice(PAYERS)
    number = bundle.patient.mrn.removeprefix("DEMO-")

    starts = today - days(rng.randint(30, 300))
    if counted and counted[0][0] > starts:
        starts = counted[0][0] - days(rng.randint(3, 14))
    last_booked = booked[-1] if booked else today
    ends = max(starts + days(364), last_booked + days(60))
    mine = [(d, g) for d, g in counted if starts <= d <= ends]
    fitting = (ends - today).days // interval + 1
    approved_courses = len(mine) + fitting + 2
    grams = sum(g for _, g in mine) + fitting * dose
    approved_g = float(math.ceil(grams * 1.15 / 10) * 10)

    rows = []
    end, year = starts, 1
    while counted and counted[0][0] < end:
        begin = end - days(365)
        inside = sum(1 for d, _ in counted if begin <= d < end)
        rows.append(
            {
                "patient_id": patient_id,
                "payer": payer,
                "reference": f"PA-{number}-{year:02d}",
                "starts_on": begin,
                "ends_on": end - days(1),
                "approved_g": None,
                "approved_courses": inside or None,
                "recorded_by_id": None,
                "recorded_at": recorded_at(begin - days(7)),
                "updated_at": recorded_at(begin - days(7)),
            }
        )
        end, year = begin, year + 1
    rows.reverse()
    for n, row in enumerate(rows, start=1):
        row["reference"] = f"PA-{number}-{n:02d}"

    last_given = given[-1] if given else None
    due = last_given + days(regimen.interval_days) if last_given else None
    next_on = booked[0] if booked else (max(due, today) if due else None)
    projected = booked[-1] + days(regimen.interval_days) if booked else next_on
    current = Current(
        patient_id=patient_id,
        payer=payer,
        reference=f"PA-{number}-{len(rows) + 1:02d}",
        starts_on=starts,
        ends_on=ends,
        approved_courses=approved_courses,
        approved_g=approved_g,
        counted=len(mine),
        last_given=last_given,
        next_on=next_on,
        projected_on=projected,
        candidate=(
            bundle.archetype in _SPECIAL_KINDS
            and bundle.patient.status == "active"
            and not roles.overdue
            and last_given is not None
            and last_given < today - days(1)
            and regimen.starts_on <= today
            and starts < today - days(14)
        ),
        extra={"recorded_at": recorded_at(starts - days(7))},
    )
    return rows, current


def assign_states(rng: Random, plans: Sequence[Current], today: date) -> dict[str, int]:
    """Choose a few candidates for each special state; the rest stay fresh. Their counts."""
    quota = max(1, round(0.05 * len(plans))) if len(plans) >= 10 else 1
    notice = today + days(NOTICE_DAYS)
    eligible = {
        MISSING: lambda c: True,
        EXHAUSTED: lambda c: c.projected_on is not None and c.projected_on <= notice - days(9),
        ENDING: lambda c: c.next_on is not None and c.next_on <= today + days(20),
    }
    pool = [c for c in plans if c.candidate]
    rng.shuffle(pool)
    for state, fits in eligible.items():
        chosen = [c for c in pool if c.state == FRESH and fits(c)][:quota]
        for c in chosen:
            c.state = state
    counts = dict.fromkeys(STATES, 0)
    for c in plans:
        counts[c.state] += 1
    return counts
