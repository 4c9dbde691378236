"""Plain facts about one patient, as the rules read them (no database types)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

GIVEN = "given"
BOOKED = "booked"
PATIENT_STATUSES = ("active", "on_hold", "discharged")


@dataclass(frozen=True)
class RegimenFact:
    """A prescription: dose per course and interval, from a start day until the next one."""

    id: int
    starts_on: date
    dose_g_per_kg: float
    interval_days: int


@dataclass(frozen=True)
class CourseFact:
    """An infusion course by its first day; status "given" or "booked"."""

    id: int
    starts_on: date
    status: str


@dataclass(frozen=True)
class ScoreFact:
    """One recorded outcome score; timing is pre_infusion, post_infusion or clinic."""

    taken_on: date
    measure: str
    side: str | None
    value: float
    timing: str


@dataclass(frozen=True)
class PatientFacts:
    """Everything the rules need to know about one patient."""

    status: str = "active"
    regimens: tuple[RegimenFact, ...] = ()
    courses: tuple[CourseFact, ...] = ()
    scores: tuple[ScoreFact, ...] = ()
    review_dates: tuple[date, ...] = ()
    latest_weight_on: date | None = None
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    dismissed: frozenset[tuple[int, str]] = frozenset()


@dataclass(frozen=True)
class ScoreColumns:
    """Scores as parallel columns in recorded order: ScoreFacts without an object per score.

    `days` are day numbers (`date.toordinal()`). Each score has a `kind`, and `names` says
    what each kind is as (measure, side, timing); with `names` None every kind is that tuple
    itself. The daily sweep reads millions of scores, and an object for each cost more than
    evaluating them, so it reads them this way (its kinds are single characters).
    """

    days: Sequence[int] = ()
    kinds: Sequence[Hashable] = ()
    values: Sequence[float] = ()
    names: Mapping[Hashable, tuple[str, str | None, str]] | None = None

    @classmethod
    def of(cls, scores: Iterable[ScoreFact]) -> ScoreColumns:
        """The same scores as columns, in the same order."""
        scores = tuple(scores)
        return cls(
            days=[s.taken_on.toordinal() for s in scores],
            kinds=[(s.measure, s.side, s.timing) for s in scores],
            values=[float(s.value) for s in scores],
        )

    def name(self, kind: Hashable) -> tuple[str, str | None, str]:
        """(measure, side, timing) of a kind."""
        return kind if self.names is None else self.names[kind]  # type: ignore[return-value]


@dataclass(frozen=True)
class PackedFacts:
    """PatientFacts with the long lists as columns: what the daily sweep evaluates.

    Given courses are day numbers with their ids alongside; `bookings` are the booked
    courses. `evaluate_packed` gives the same evaluation as `evaluate` on the PatientFacts
    this packs, without the cycle-by-cycle `response`.
    """

    status: str = "active"
    regimens: tuple[RegimenFact, ...] = ()
    given_days: Sequence[int] = ()
    given_ids: Sequence[int] = ()
    bookings: tuple[CourseFact, ...] = ()
    scores: ScoreColumns = field(default_factory=ScoreColumns)
    review_dates: tuple[date, ...] = ()
    latest_weight_on: date | None = None
    min_interval_days: int | None = None
    max_interval_days: int | None = None
    dismissed: frozenset[tuple[int, str]] = frozenset()

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
            bookings=tuple(c for c in facts.courses if c.status == BOOKED),
            scores=ScoreColumns.of(facts.scores),
            review_dates=facts.review_dates,
            latest_weight_on=facts.latest_weight_on,
            min_interval_days=facts.min_interval_days,
            max_interval_days=facts.max_interval_days,
            dismissed=facts.dismissed,
        )
