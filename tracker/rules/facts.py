"""Plain facts about one patient, as the rules read them (no database types)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from operator import le

from tracker.rules.vocabulary import CourseStatus, PatientStatus, Route, Source, codes

GIVEN = CourseStatus.GIVEN
BOOKED = CourseStatus.BOOKED
IV = Route.IV
SC = Route.SC
CLINIC = Source.CLINIC

# A score kind's name: (measure, side, timing, source).
KindName = tuple[str, str | None, str, str]
PATIENT_STATUSES = codes(PatientStatus)


@dataclass(frozen=True)
class RegimenFact:
    """A prescription: dose per course and interval, from a start day until the next one."""

    id: int
    starts_on: date
    dose_g_per_kg: float
    interval_days: int
    # The dose in grams calculated when the regimen was written (None without a weight): what
    # a booking without a planned dose, and a projected course, are charged at (section 8).
    # For an SC regimen these are the fixed grams given each time.
    dose_g: float | None = None
    route: str = IV  # iv or sc (section 9)

    @property
    def subcutaneous(self) -> bool:
        """True for an SC regimen: its own interval rules, tolerance and response rules."""
        return self.route == SC


@dataclass(frozen=True)
class AuthorizationFact:
    """A funding authorisation: a payer's or programme's approval for one patient, from
    `starts_on` to `ends_on` (both included), of so many grams and/or courses (None: no
    limit)."""

    id: int
    starts_on: date
    ends_on: date
    approved_g: float | None = None
    approved_courses: int | None = None
    reference: str = ""
    payer: str = ""

    def covers(self, day: date) -> bool:
        """True when `day` lies in the authorisation's period."""
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class CourseFact:
    """An infusion course by its first day and its length; status "given" or "booked"."""

    id: int
    starts_on: date
    status: str
    days: int = 1  # a course may run over several days (2 g/kg over 2 to 5 days)

    @property
    def last_day(self) -> date:
        """The course's last day."""
        return self.starts_on + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class ScoreFact:
    """One recorded outcome score; timing is pre_infusion, post_infusion or clinic, source
    clinic or home (each (measure, side, source) is its own series, section 10)."""

    taken_on: date
    measure: str
    side: str | None
    value: float
    timing: str
    source: str = CLINIC


@dataclass(frozen=True)
class PatientFacts:
    """Everything the rules need to know about one patient."""

    status: str = "active"
    regimens: tuple[RegimenFact, ...] = ()
    courses: tuple[CourseFact, ...] = ()
    scores: tuple[ScoreFact, ...] = ()
    review_dates: tuple[date, ...] = ()
    weight_dates: tuple[date, ...] = ()  # every day a weight was recorded
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    dismissed: frozenset[tuple[int, str]] = frozenset()
    resumed_on: date | None = None  # the day the patient last came back from hold
    authorizations: tuple[AuthorizationFact, ...] = ()
    # (course id, grams) of the courses that carry their own dose: the dose given, or for a
    # booking the dose planned. Others are charged at their regimen's dose_g.
    course_doses: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class ScoreColumns:
    """Scores as parallel columns in recorded order: ScoreFacts without an object per score.

    `days` are day numbers (`date.toordinal()`). Each score has a `kind`, and `names` says
    what each kind is as (measure, side, timing, source); with `names` None every kind is
    that tuple itself. The daily sweep reads millions of scores, and an object for each
    cost more than evaluating them, so it reads them this way (its kinds are single
    characters).
    """

    days: Sequence[int] = ()
    kinds: Sequence[Hashable] = ()
    values: Sequence[float] = ()
    names: Mapping[Hashable, KindName] | None = None
    # True when whoever made the columns knows them to be in date order, same-day ones as
    # recorded (the sweep's read sorts them in SQL): in_date_order then need not look.
    in_order: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, scores: Iterable[ScoreFact]) -> ScoreColumns:
        """The same scores as columns, in the same order."""
        scores = tuple(scores)
        return cls(
            days=[s.taken_on.toordinal() for s in scores],
            kinds=[(s.measure, s.side, s.timing, s.source) for s in scores],
            values=[float(s.value) for s in scores],
        )

    def name(self, kind: Hashable) -> KindName:
        """(measure, side, timing, source) of a kind."""
        return kind if self.names is None else self.names[kind]  # type: ignore[return-value]

    def in_date_order(self) -> ScoreColumns:
        """The same scores sorted by day, same-day ones in their recorded order (a stable
        sort); itself when already so, as the sweep reads them, so that nothing is copied."""
        days = self.days
        if self.in_order or all(map(le, days, islice(days, 1, None))):
            return self
        order = sorted(range(len(days)), key=days.__getitem__)
        return ScoreColumns(
            days=[days[i] for i in order],
            kinds=[self.kinds[i] for i in order],
            values=[self.values[i] for i in order],
            names=self.names,
            in_order=True,
        )


@dataclass(frozen=True)
class PackedFacts:
    """PatientFacts with the long lists as columns: what the daily sweep evaluates.

    Given courses are day numbers with their ids and lengths in days alongside; `bookings`
    are the booked courses. `weight_dates` may hold only the latest weight on or before the
    day evaluated (the sweep reads no more). `evaluate_packed` gives the same evaluation as
    `evaluate` on the PatientFacts this packs, without the cycle-by-cycle `response`.
    """

    status: str = "active"
    regimens: tuple[RegimenFact, ...] = ()
    given_days: Sequence[int] = ()
    given_ids: Sequence[int] = ()
    given_lengths: Sequence[int] = ()  # days of each given course; empty means 1 each
    bookings: tuple[CourseFact, ...] = ()
    scores: ScoreColumns = field(default_factory=ScoreColumns)
    review_dates: tuple[date, ...] = ()
    weight_dates: tuple[date, ...] = ()
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    dismissed: frozenset[tuple[int, str]] = frozenset()
    resumed_on: date | None = None
    authorizations: tuple[AuthorizationFact, ...] = ()
    # As PatientFacts.course_doses, as a mapping (course id -> grams): the sweep builds it
    # in one step from its columns, and reads it only for patients with an authorisation,
    # the only ones whose evaluation uses it.
    course_doses: Mapping[int, float] = field(default_factory=dict)
    # The first weight dated after the day evaluated (which `weight_dates` may leave out):
    # the evaluation ignores it, but its day is when the evaluation expires (rules.expiry).
    next_weight_on: date | None = None

    @classmethod
    def of(cls, facts: PatientFacts) -> PackedFacts:
        """Pack a patient's facts (courses neither given nor booked are left out, as the
        rules ignore them)."""
        given = [c for c in facts.courses if c.status == GIVEN]
        return cls(
            status=facts.status,
            regimens=facts.regimens,
            given_days=[c.starts_on.toordinal() for c in given],
            given_ids=[c.id for c in given],
            given_lengths=[c.days for c in given],
            bookings=tuple(c for c in facts.courses if c.status == BOOKED),
            scores=ScoreColumns.of(facts.scores),
            review_dates=facts.review_dates,
            weight_dates=facts.weight_dates,
            min_interval_days=facts.min_interval_days,
            max_interval_days=facts.max_interval_days,
            dismissed=facts.dismissed,
            resumed_on=facts.resumed_on,
            authorizations=facts.authorizations,
            course_doses=dict(facts.course_doses),
        )
