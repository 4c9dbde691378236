"""The renewal packet of a funding authorisation (clinical rules 8): what a payer asks for
to renew it, from the stored record, over the authorisation's period up to today.

Per series, the baseline (the last score before the first course of the period, else the
earliest in it) against the latest, the change and whether it reaches the MCID (the rules'
`renewal.period_changes`); the courses given in and out of their window; the dose history
and the attempts at a lower dose (`renewal.taper_steps`); reactions; and the no-response
and refractory flags as evaluated today. The page prints it (and a browser saves it as PDF).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from tracker.rules import MEASURES, current_regimen
from tracker.rules.authorizations import AuthorizationStanding
from tracker.rules.evaluate import Flag
from tracker.rules.measures import series_label
from tracker.rules.renewal import PeriodChange, TaperStep, period_changes, taper_steps
from tracker.rules.vocabulary import FlagCode
from tracker.services import regimens as regimen_service
from tracker.services.authorizations import get_authorization
from tracker.services.errors import NotFound
from tracker.services.evaluation import evaluate_patient
from tracker.services.patients import get_patient
from tracker.services.review_report import CourseLine, period_courses
from tracker.store.ids import stored_id
from tracker.store.models import Assessment, FundingAuthorization, Patient

# The flags a payer weighs against renewing.
PACKET_FLAGS = (FlagCode.NO_RESPONSE, FlagCode.REFRACTORY)


@dataclass(frozen=True)
class SeriesLine:
    """A series' change over the period, named and with its unit."""

    label: str
    unit: str
    change: PeriodChange


@dataclass
class RenewalPacket:
    """Everything on the printed renewal packet."""

    patient: Patient
    authorization: FundingAuthorization
    standing: AuthorizationStanding | None
    start: date
    end: date  # the authorisation's last day, or today when it has not ended
    first_course_on: date | None
    series: list[SeriesLine]
    courses: list[CourseLine]
    in_window: int
    given: int
    grams_given: float
    regimens: list[dict[str, Any]]
    tapers: list[TaperStep]
    flags: list[Flag]

    @property
    def out_of_window(self) -> int:
        """Courses of the period given outside their window."""
        return self.given - self.in_window

    @property
    def reactions(self) -> list[CourseLine]:
        """The courses of the period with a reaction recorded."""
        return [c for c in self.courses if c.reactions]


def renewal_packet(
    session: Session, *, patient_id: int, authorization_id: int, today: date
) -> RenewalPacket:
    """The packet of this patient's authorisation (NotFound for another patient's)."""
    patient = get_patient(session, patient_id)
    authorization = get_authorization(session, authorization_id)
    if authorization.patient_id != patient_id:
        raise NotFound(f"no authorization with id {authorization_id}")
    start, end = authorization.starts_on, min(authorization.ends_on, today)
    evaluation = evaluate_patient(session, patient_id=patient_id, on=today)
    standing = next(
        (s for s in evaluation.authorizations if s.authorization.id == authorization_id), None
    )
    period = period_courses(session, patient=patient, start=start, end=end)
    regimens, facts = period.regimens, period.facts
    lines, in_window, counted = period.lines, period.in_window, period.counted
    first_course_on = lines[0].given_on if lines else None
    scores = session.exec(
        select(Assessment)
        .where(Assessment.patient_id == patient_id, Assessment.taken_on <= end)
        .order_by(Assessment.taken_on, Assessment.id)
    ).all()
    changes = period_changes(
        ((s.taken_on, (s.measure, s.side), s.value) for s in scores),
        first_course_on=first_course_on,
        period_start=start,
        period_end=end,
    )
    current_at_start = current_regimen(facts, start)
    in_effect = [
        r
        for r in regimens
        if r.starts_on <= end
        and (r.starts_on >= start or (current_at_start and stored_id(r) == current_at_start.id))
    ]
    views = regimen_service.regimen_views(session, in_effect)
    return RenewalPacket(
        patient=patient,
        authorization=authorization,
        standing=standing,
        start=start,
        end=end,
        first_course_on=first_course_on,
        series=[
            SeriesLine(series_label(c.series[0], c.series[1]), MEASURES[c.series[0]].unit, c)
            for c in changes
        ],
        courses=lines,
        in_window=in_window,
        given=counted,
        grams_given=sum(c.dose_g or 0 for c in lines),
        regimens=views,
        tapers=list(
            taper_steps([(v["starts_on"], v.get("intensity_g_per_kg_28d")) for v in views])
        ),
        flags=[f for f in evaluation.flags if f.code in PACKET_FLAGS],
    )
