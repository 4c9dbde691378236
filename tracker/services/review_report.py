"""The review report: what a 6-month or yearly treatment review looks at, for one patient."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from tracker.rules import MEASURES, RegimenFact, current_regimen, improvement
from tracker.rules.adherence import CourseTiming, count_in_window, course_timings
from tracker.rules.measures import reaches_mcid, series_label
from tracker.rules.vocabulary import CourseStatus, Timing
from tracker.services import regimens as regimen_service
from tracker.services.errors import Invalid
from tracker.services.patients import get_patient
from tracker.services.policy import load_policy
from tracker.store.ids import stored_id
from tracker.store.models import Assessment, Infusion, Patient, Product, Regimen, Review

# The two reviews the guidelines ask for: 6 months after starting, then every 12 months.
PERIOD_DAYS = {6: 182, 12: 365}


@dataclass(frozen=True)
class Score:
    """One score as the report shows it."""

    taken_on: date
    value: float
    timing: str


@dataclass(frozen=True)
class ScoreChange:
    """A series' baseline and latest score, the change (signed as an improvement) and what
    it means against the measure's MCID."""

    label: str
    unit: str
    mcid: float | None
    baseline: Score
    latest: Score | None
    change: float | None
    verdict: str  # improved | worse | within MCID | "" (no MCID, or no later score)


@dataclass(frozen=True)
class CourseLine:
    """A course given in the period, with the window it was due in."""

    given_on: date
    days: int
    dose_g: float | None
    product: str | None
    timing: CourseTiming | None
    reactions: str | None
    premedication: str | None


@dataclass
class ReviewReport:
    """Everything on the printed review report."""

    patient: Patient
    months: int
    start: date
    end: date
    first_course_on: date | None
    scores: list[ScoreChange]
    regimens: list[dict[str, Any]]
    courses: list[CourseLine]
    in_window: int
    given: int
    grams_given: float
    reviews: list[Review]

    @property
    def reactions(self) -> list[CourseLine]:
        """The courses of the period with a reaction recorded."""
        return [c for c in self.courses if c.reactions]


def review_report(session: Session, *, patient_id: int, end: date, months: int) -> ReviewReport:
    """The report for the `months` (6 or 12) ending on `end`."""
    if months not in PERIOD_DAYS:
        raise Invalid("the period is 6 or 12 months", field="months")
    patient = get_patient(session, patient_id)
    start = end - timedelta(days=PERIOD_DAYS[months]) + timedelta(days=1)
    period = period_courses(session, patient=patient, start=start, end=end)
    regimens, facts, courses = period.regimens, period.facts, period.given_ever
    lines, in_window, given = period.lines, period.in_window, period.counted
    first_course_on = courses[0].scheduled_on if courses else None
    current_at_start = current_regimen(facts, start)
    in_effect = [
        regimen_service.regimen_view(session, r)
        for r in regimens
        if r.starts_on <= end
        and (r.starts_on >= start or (current_at_start and r.id == current_at_start.id))
    ]
    return ReviewReport(
        patient=patient,
        months=months,
        start=start,
        end=end,
        first_course_on=first_course_on,
        scores=_score_changes(session, patient_id, first_course_on, end),
        regimens=in_effect,
        courses=lines,
        in_window=in_window,
        given=given,
        grams_given=sum(c.dose_g or 0 for c in lines),
        reviews=list(
            session.exec(
                select(Review)
                .where(Review.patient_id == patient_id, Review.reviewed_on.between(start, end))
                .order_by(Review.reviewed_on)
            ).all()
        ),
    )


def _score_changes(
    session: Session, patient_id: int, first_course_on: date | None, end: date
) -> list[ScoreChange]:
    rows = session.exec(
        select(Assessment)
        .where(Assessment.patient_id == patient_id, Assessment.taken_on <= end)
        .order_by(Assessment.taken_on, Assessment.id)
    ).all()
    # Each (measure, side, source) is its own series (clinical rules 10).
    series: dict[tuple[str, str | None, str], list[Assessment]] = {}
    for row in rows:
        if row.measure in MEASURES:
            series.setdefault((row.measure, row.side, row.source), []).append(row)
    changes = []
    for (measure, side, source), scores in sorted(series.items(), key=lambda kv: _order(kv[0])):
        base = baseline(scores, first_course_on)
        last = scores[-1]
        latest = None if last is base else last
        change = verdict = None
        if latest is not None:
            change = round(improvement(measure, base.value, latest.value), 2)
            m = MEASURES[measure]
            if m.mcid is not None:
                verdict = (
                    "improved"
                    if reaches_mcid(measure, change)
                    else "worse"
                    if reaches_mcid(measure, -change)
                    else "within MCID"
                )
        changes.append(
            ScoreChange(
                label=series_label(measure, side, source),
                unit=MEASURES[measure].unit,
                mcid=MEASURES[measure].mcid,
                baseline=_score(base),
                latest=_score(latest) if latest else None,
                change=change,
                verdict=verdict or "",
            )
        )
    return changes


def baseline(scores: list[Assessment], first_course_on: date | None) -> Assessment:
    """A series' baseline: its last score before treatment began, else its first score.

    "Before treatment" is before the first given course, or on its day but not after the
    infusion; with no course given yet, the first score is the baseline.
    """
    if first_course_on is not None:
        before = [
            s
            for s in scores
            if s.taken_on < first_course_on
            or (s.taken_on == first_course_on and s.timing != Timing.POST_INFUSION)
        ]
        if before:
            return before[-1]
    return scores[0]


def _score(row: Assessment) -> Score:
    return Score(taken_on=row.taken_on, value=row.value, timing=row.timing)


def _order(key: tuple[str, str | None, str]) -> tuple[int, str, bool]:
    measure, side, source = key
    return list(MEASURES).index(measure), side or "", source != "clinic"


@dataclass(frozen=True)
class PeriodCourses:
    """A patient's regimens and given courses, with the courses of a period as report lines
    and how many of the period's counted courses came inside their window."""

    regimens: list[Regimen]
    facts: list[RegimenFact]
    given_ever: list[Infusion]  # every course given, oldest first
    lines: list[CourseLine]  # those given from start to end
    in_window: int
    counted: int


def period_courses(session: Session, *, patient: Patient, start: date, end: date) -> PeriodCourses:
    """The courses given from `start` to `end` as the review report and the renewal packet
    show them, each with its timing against the regimen then current."""
    patient_id = stored_id(patient)
    regimens = regimen_service.regimens(session, patient_id=patient_id)
    facts = [
        RegimenFact(stored_id(r), r.starts_on, r.dose_g_per_kg, r.interval_days) for r in regimens
    ]
    courses = list(
        session.exec(
            select(Infusion)
            .where(Infusion.patient_id == patient_id, Infusion.status == CourseStatus.GIVEN)
            .order_by(Infusion.scheduled_on, Infusion.id)
        ).all()
    )
    policy = load_policy(session).with_patient_bounds(
        patient.min_interval_days, patient.max_interval_days
    )
    timings = {
        t.given_on: t
        for t in course_timings(
            regimens=facts,
            given_on=[c.scheduled_on for c in courses if c.scheduled_on <= end],
            policy=policy,
        )
    }
    in_window, counted = count_in_window(timings.values(), start=start, end=end)
    products = {p.id: p.name for p in session.exec(select(Product))}
    lines = [
        CourseLine(
            given_on=c.scheduled_on,
            days=c.days,
            dose_g=c.dose_g,
            product=products.get(c.product_id),
            timing=timings.get(c.scheduled_on),
            reactions=c.reactions,
            premedication=c.premedication,
        )
        for c in courses
        if start <= c.scheduled_on <= end
    ]
    return PeriodCourses(regimens, facts, courses, lines, in_window, counted)
