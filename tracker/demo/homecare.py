"""The demo's home care (clinical rules 9): two visiting nurses and a few patients whose
recent courses (given, and those booked ahead) are home visits.

A home patient moved from the chair to home visits some months before the evaluation day;
their one-day courses from then on are given at home by a nurse, at a time when the nurse is
free: one nurse's visits never overlap, counting the site policy's buffer for set-up and
observation. The draws use their own random stream, so that the rest of the cohort is the
same with or without them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from random import Random
from zoneinfo import ZoneInfo

from tracker.demo import archetypes as arch
from tracker.demo.calendar import at_minutes, days
from tracker.demo.patient import Bundle, Roles
from tracker.rules.chairs import spans_clash
from tracker.rules.visits import visit_span
from tracker.rules.vocabulary import CareSite, CourseStatus

# (username, full name): the demo's visiting nurses.
NURSES = (("nina.nurse", "Nina Nurse"), ("hugo.homecare", "Hugo Homecare"))
STREETS = (
    "Linden Avenue",
    "Station Road",
    "Mill Lane",
    "Church Street",
    "Harbour View",
    "Orchard Close",
    "Beech Grove",
    "Canal Walk",
)
_KINDS = (arch.STABLE, arch.LONG_STABLE, arch.WEAR_OFF, arch.PROGRESSIVE)
FIRST_START, LAST_START = 8 * 60, 13 * 60 + 45  # a visit starts 08:00 to 13:45
STEP = 15


def home_count(patients: int) -> int:
    """How many home patients a cohort of this size holds (none below 10 patients)."""
    return 0 if patients < 10 else max(1, round(0.1 * patients))


def choose(rng: Random, kinds: Sequence[str], roles: Sequence[Roles], wanted: int) -> list[int]:
    """The patient indices to try for home care, in order (more than wanted: some fail)."""
    pool = [
        i
        for i, (kind, role) in enumerate(zip(kinds, roles, strict=True))
        if kind in _KINDS and role.booking == "in_window" and not role.overdue
    ]
    rng.shuffle(pool)
    return pool[: wanted + 4]


@dataclass
class NurseBook:
    """Each nurse's visits by day, as (start, end) minutes including the buffer."""

    nurse_ids: list[int]
    buffer_minutes: int

    def __post_init__(self) -> None:
        self.busy: dict[tuple[int, date], list[tuple[int, int]]] = {}

    def place(self, nurse: int, day: date, minutes: int, prefer: int) -> int | None:
        """A start minute at which the nurse is free for the visit, else None."""
        slots = range(FIRST_START, LAST_START + 1, STEP)
        order = [s for s in slots if s >= prefer] + [s for s in slots if s < prefer]
        taken = self.busy.setdefault((nurse, day), [])
        for start in order:
            span = visit_span(_clock(start), minutes, self.buffer_minutes)
            if not any(spans_clash(span, other) for other in taken):
                taken.append(span)
                return start
        return None


def make_home(
    rng: Random, bundle: Bundle, book: NurseBook, nurse_index: int, today: date, zone: ZoneInfo
) -> bool:
    """Move the patient's one-day courses of the last months to home visits by a nurse (the
    other nurse when the first is busy) and give them a home address. False: no upcoming
    visit could be placed, and nothing was changed."""
    since = today - days(rng.randint(90, 200))
    moved = [i for i, _ in bundle.infusions if i.scheduled_on >= since and i.days == 1]
    if not any(i.status == CourseStatus.BOOKED for i in moved):
        return False
    prefer = rng.choice((8 * 60, 8 * 60 + 30, 9 * 60, 10 * 60, 11 * 60))
    nurses = book.nurse_ids[nurse_index:] + book.nurse_ids[:nurse_index]
    plans = []
    for infusion in moved:
        minutes = infusion.chair_minutes or 240
        holding = infusion.status in (CourseStatus.BOOKED, CourseStatus.GIVEN)
        for nurse in nurses:
            start = book.place(nurse, infusion.scheduled_on, minutes, prefer) if holding else prefer
            if start is not None:
                plans.append((infusion, nurse, start))
                break
    for infusion, nurse, start in plans:
        infusion.site = CareSite.HOME_NURSE.value
        infusion.chair_id = None
        infusion.nurse_id = nurse
        infusion.start_time = _clock(start)
        if infusion.status == CourseStatus.GIVEN:
            infusion.given_by_id = nurse
            infusion.given_at = infusion.updated_at = at_minutes(
                infusion.scheduled_on, start + (infusion.chair_minutes or 240), zone
            )
    patient = bundle.patient
    patient.address_line1 = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
    patient.postcode = f"{rng.choice('ABCDEFGHKLMNPRSTW')}{rng.choice('ABCDEFGHKLMNPRSTW')}" + (
        f"{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    )
    return True


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)
