"""The demo's strength model: grip and MRC sum that respond to IVIG, wear off and decline.

Each patient has a trough level per series (weaker hand, stronger hand, MRC sum): low before
treatment, rising to a plateau over the first 2-3 months, lowered by the story's declines.
A pre-infusion score is the level on the course day plus noise; the post-infusion score 2-7
days after the course's last day (never on a course day: that is no peak, section 5) is the
level at the end of that cycle plus the cycle's amplitude, so that peak minus trough is the
amplitude plus noise, whatever the level does meanwhile.

Bounds (MCID 8 kPa, 2 MRC points): grip trough noise -2..+2 and peak noise -1..+1, so a
stable cycle (amplitude weaker hand 2-4, stronger 0-3) shows peak - trough <= 7 < 8, a
wear-off cycle (weaker hand 12-15) >= 9; MRC stable amplitude 0-1 with trough noise 0/+1
gives |peak - trough| <= 1 < 2. Flat troughs vary by at most 4 kPa / 1 point, below the MCID,
so only the stories' declines can look progressive. A non-responder's level stays at its
baseline (amplitude 0-2 kPa, 0-1 MRC point): no later score beats the baseline before the
first course by more than 2 + 2 + 1 = 5 kPa or 1 point, and INCAT or ONLS never improves, so
no series reaches its MCID (section 11).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from random import Random

from tracker.demo.archetypes import Decline
from tracker.demo.calendar import days

SERIES = ("weak", "strong", "mrc")
AMPLITUDE = {
    "induction": {"weak": (6, 10), "strong": (2, 5), "mrc": (1, 3)},
    "stable": {"weak": (2, 4), "strong": (0, 3), "mrc": (0, 1)},
    "wear": {"weak": (12, 15), "strong": (1, 4), "mrc": (2, 3)},
    "decline": {"weak": (1, 3), "strong": (0, 2), "mrc": (0, 1)},
    "none": {"weak": (0, 2), "strong": (0, 2), "mrc": (0, 1)},  # a non-responder
}
MAX_GRIP, MAX_MRC = 200, 60
DISABILITY_MAX = {"incat": 10, "onls": 12}


@dataclass(frozen=True)
class CourseInfo:
    """What the score model needs to know about one given course."""

    day: date
    length: int  # days of the course
    end: date  # the next given course, or when it is due
    completed: bool
    tag: str  # induction | stable | wear | decline | none
    wear_day: int | None
    complete: bool  # record every score: the flags rest on this cycle
    start_minutes: int


@dataclass(frozen=True)
class Score:
    """One assessment to write."""

    taken_on: date
    measure: str
    side: str | None
    value: float
    timing: str
    course: int | None  # index of the given course it belongs to
    minutes: int  # local clock time of recording, minutes after midnight


class Strength:
    """A patient's strength over time, per series."""

    def __init__(
        self,
        rng: Random,
        *,
        sex: str,
        first: date,
        declines: Sequence[Decline],
        responds: bool = True,
    ) -> None:
        self.weak_side = rng.choice(("left", "right"))
        self.strong_side = "right" if self.weak_side == "left" else "left"
        male = sex == "male"
        # Vigorimeter kPa: MMN is asymmetric, one hand far weaker than the other.
        strong = rng.randint(85, 115) if male else rng.randint(65, 90)
        weak = rng.randint(30, 62) if male else rng.randint(22, 48)
        # Leave a usable hand after all the story's declines (15+ kPa), still the weaker one.
        lost = sum(d.weak * (1 - d.recover) for d in declines)
        weak = max(weak, round(lost) + rng.randint(15, 22))
        strong = max(strong, weak + rng.randint(20, 30))
        mrc = rng.randint(50, 56)
        self.plateau = {"weak": weak, "strong": strong, "mrc": mrc}
        self.base = {
            "weak": max(6, weak - rng.randint(12, 22)),
            "strong": strong - rng.randint(2, 8),
            "mrc": mrc - rng.randint(3, 6),
        }
        self.ramp_days = rng.randint(60, 100)
        self.first = first
        self.declines = list(declines)
        self.scale = rng.choice(("incat", "onls"))
        self.disability_plateau = rng.randint(1, 3)
        self.disability_base = self.disability_plateau + rng.randint(1, 2)
        self.responds = responds
        if not responds:  # treated or not, strength and disability stay where they were
            self.plateau = dict(self.base)
            self.disability_plateau = self.disability_base

    def side(self, series: str) -> str | None:
        """The hand of a grip series (None for the MRC sum)."""
        return {"weak": self.weak_side, "strong": self.strong_side}.get(series)

    def level(self, series: str, day: date) -> float:
        """The trough level of a series on a day (no noise)."""
        value = self._treated(self.base[series], self.plateau[series], day)
        return value - sum(d.loss(series, day) for d in self.declines)

    def disability(self, day: date) -> int:
        """INCAT or ONLS on a day: better once treated, a point worse deep in a decline."""
        value = round(self._treated(self.disability_base, self.disability_plateau, day))
        if any(d.share(day) >= 0.6 and (d.weak >= 10 or d.mrc >= 3) for d in self.declines):
            value += 1
        return value

    def _treated(self, before: float, plateau: float, day: date) -> float:
        if day <= self.first:
            return before
        t = min(1.0, (day - self.first).days / self.ramp_days)
        return before + (plateau - before) * t


def course_scores(
    rng: Random, strength: Strength, courses: Sequence[CourseInfo], today: date
) -> list[Score]:
    """Pre-infusion, post-infusion and patient-reported wear-off scores for given courses."""
    out: list[Score] = []
    for index, course in enumerate(courses):
        always = course.complete or index == 0
        if always or rng.random() < 0.9:
            for series in SERIES:
                value = _value(
                    series, strength.level(series, course.day), _trough_noise(rng, series)
                )
                out.append(
                    _score(
                        course.day,
                        series,
                        strength,
                        value,
                        "pre_infusion",
                        index,
                        course.start_minutes - 10,
                    )
                )
        if always or rng.random() < 0.8:
            taken = course.day + days(course.length - 1 + rng.randint(2, 7))
            if taken < today and taken < course.end:
                amplitude = AMPLITUDE[course.tag]
                for series in SERIES:
                    low, high = amplitude[series]
                    extra = rng.randint(low, high) + _peak_noise(rng, series)
                    value = _value(series, strength.level(series, course.end), extra)
                    out.append(
                        _score(taken, series, strength, value, "post_infusion", index, 11 * 60)
                    )
        if course.tag == "wear" and course.completed and course.wear_day and rng.random() < 0.5:
            cycle = (course.end - course.day).days
            # Reported wear-off counts when it is at least 7 days before the next course.
            reported = min(course.wear_day + rng.randint(-1, 1), cycle - 7)
            taken = course.day + days(reported)
            if reported >= 5 and taken < today:
                out.append(
                    Score(taken, "wear_off_day", None, float(reported), "clinic", index, 19 * 60)
                )
    return out


def clinic_scores(
    rng: Random, strength: Strength, referral: date, visits: Sequence[date]
) -> list[Score]:
    """Baseline scores at referral, and INCAT or ONLS at each clinic visit."""
    out = [
        _score(
            referral,
            series,
            strength,
            _value(series, strength.level(series, referral), _trough_noise(rng, series)),
            "clinic",
            None,
            10 * 60 + 30,
        )
        for series in SERIES
    ]
    top = DISABILITY_MAX[strength.scale]
    for day in [referral, *visits]:
        value = strength.disability(day)
        # A non-responder's score never wanders a point better than the baseline by chance.
        if rng.random() < 0.12 and strength.responds:
            value += rng.choice((-1, 1))
        value = min(top, max(0, value))
        out.append(Score(day, strength.scale, None, float(value), "clinic", None, 10 * 60 + 45))
    return out


def _trough_noise(rng: Random, series: str) -> int:
    if series == "mrc":
        return 1 if rng.random() < 0.2 else 0
    return rng.randint(-2, 2)


def _peak_noise(rng: Random, series: str) -> int:
    return 0 if series == "mrc" else rng.randint(-1, 1)


def _value(series: str, level: float, extra: int) -> float:
    # Whole kPa and whole MRC points; the level is rounded before the integer noise is added
    # so that peak minus trough is exactly the drawn amplitude plus noise.
    value = round(level) + extra
    top = MAX_MRC if series == "mrc" else MAX_GRIP
    return float(min(top, max(0 if series == "mrc" else 3, value)))


def _score(
    day: date,
    series: str,
    strength: Strength,
    value: float,
    timing: str,
    course: int | None,
    minutes: int,
) -> Score:
    measure = "mrc_sum" if series == "mrc" else "grip_vigorimeter"
    return Score(day, measure, strength.side(series), value, timing, course, minutes)
