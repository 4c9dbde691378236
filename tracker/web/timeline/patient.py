"""A patient's record turned into the timeline's plain values."""

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup

from tracker.formats.display import date_text, dose_text
from tracker.rules import MEASURES, ResponseAssessment
from tracker.rules.vocabulary import CareSite, CourseStatus, Source, Timing
from tracker.services.patient_record import PatientRecord
from tracker.web.labels import OTHER_TREATMENT_LABELS
from tracker.web.timeline.render import render_timeline
from tracker.web.timeline.values import (
    TimelineCourse,
    TimelinePoint,
    TimelineRegimen,
    TimelineSeries,
    TimelineTreatment,
)

PANEL_OF = {
    "grip_vigorimeter": "grip",
    "grip_dynamometer": "grip",
    "mrc_sum": "mrc",
    "rods": "rods",
    "incat": "disability",
    "onls": "disability",
    "wear_off_day": "wear_off",
}
# The timing a peak or a trough is taken at (preferred when two scores look alike).
TIMING_OF = {"trough": Timing.PRE_INFUSION, "peak": Timing.POST_INFUSION}
NOTE_OF = {Timing.PRE_INFUSION: "before infusion", Timing.POST_INFUSION: "after infusion"}

ScoreKey = tuple[str, str | None, str, date, float]  # measure, side, source, taken_on, value


def timeline_svg(record: PatientRecord, *, today: date, start: date | None = None) -> Markup:
    """The patient's timeline: scores, courses, regimens, other treatments, window, booking.

    From `start` when given (a range such as the last year), else from the first record.
    """
    used = rules_used(record.scores, record.evaluation.response)
    # Each (measure, side, source) is its own series (clinical rules 10).
    by_series: dict[tuple[str, str | None, str], list[TimelinePoint]] = {}
    for s, kind in zip(record.scores, used, strict=True):
        if kind is None:
            kind = "clinic" if s.timing == "clinic" else "plain"
        by_series.setdefault((s.measure, s.side, s.source), []).append(
            TimelinePoint(
                day=s.taken_on,
                value=s.value,
                kind=kind,
                note=NOTE_OF.get(s.timing, "") if kind == "plain" else "",
            )
        )
    series = []
    for (measure, side, source), points in sorted(
        by_series.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2] != Source.CLINIC)
    ):
        m = MEASURES.get(measure)
        label = m.label if m else measure
        home = source == Source.HOME
        key = f"{measure}:{side}" if side else measure
        series.append(
            TimelineSeries(
                key=f"{key}:home" if home else key,
                label=_series_label(label, side) + (" at home" if home else ""),
                home=home,
                unit=m.unit if m else "",
                higher_is_better=m.higher_is_better if m else True,
                panel=PANEL_OF.get(measure, "other"),
                points=tuple(points),
            )
        )
    courses = [
        TimelineCourse(
            day=c["scheduled_on"],
            dose_g=c["dose_g"],
            status=c["status"],
            label=_course_label(c, record.products),
        )
        for c in record.courses
        if c["status"] in (CourseStatus.GIVEN, CourseStatus.BOOKED)
    ]
    regimens = []
    for i, r in enumerate(record.regimens):
        following = record.regimens[i + 1]["starts_on"] if i + 1 < len(record.regimens) else None
        regimens.append(
            TimelineRegimen(
                starts_on=r["starts_on"],
                ends_on=following - timedelta(days=1) if following else None,
                label=dose_text(r["dose_g_per_kg"], "g/kg")
                + (f" ({dose_text(r['dose_g'])})" if r["dose_g"] else "")
                + f" every {r['interval_days']} d",
                reason=r["reason"] or "",
            )
        )
    ev = record.evaluation
    window = (ev.window_start, ev.window_end) if ev.window_start and ev.window_end else None
    return render_timeline(
        series=series,
        courses=courses,
        regimens=regimens,
        window=window,
        next_booking=ev.next_booking.starts_on if ev.next_booking else None,
        today=today,
        start=start,
        treatments=[_treatment(t) for t in record.other_treatments],
    )


def rules_used(scores: Sequence, response: ResponseAssessment | None) -> list[str | None]:
    """For each score, "trough" or "peak" when the evaluation used it as one, else None."""
    # Taken from the rules' own answer, never worked out again here: each completed cycle's
    # troughs and the peak and trough of its swings, matched to the scores by (measure, side,
    # day, value). No answer (no current regimen) means no peak or trough was used.
    wanted: dict[str, Counter[ScoreKey]] = {"trough": Counter(), "peak": Counter()}
    for cycle in response.cycles if response else ():
        # A swing's trough is one of the cycle's troughs too: counted once.
        troughs = [
            *cycle.troughs,
            *(s.trough for s in cycle.swings if s.trough not in cycle.troughs),
        ]
        wanted["trough"].update(
            _key(r.measure, r.side, r.source, r.taken_on, r.value) for r in troughs
        )
        wanted["peak"].update(
            _key(s.peak.measure, s.peak.side, s.peak.source, s.peak.taken_on, s.peak.value)
            for s in cycle.swings
        )
    kinds: list[str | None] = [None] * len(scores)
    # First scores at the timing a peak or trough has, then any left over (so a pre- and a
    # post-infusion score alike on one day cannot swap places).
    for strict in (True, False):
        for i, s in enumerate(scores):
            if kinds[i] is not None:
                continue
            key = _key(s.measure, s.side, getattr(s, "source", Source.CLINIC), s.taken_on, s.value)
            for kind, counts in wanted.items():
                if counts[key] > 0 and (not strict or s.timing == TIMING_OF[kind]):
                    counts[key] -= 1
                    kinds[i] = kind
                    break
    return kinds


def _key(measure: str, side: str | None, source: str, day: date, value: float) -> ScoreKey:
    return (measure, side, str(source), day, float(value))


def _treatment(t: dict) -> TimelineTreatment:
    name = OTHER_TREATMENT_LABELS.get(t["kind"], t["kind"])
    return TimelineTreatment(
        starts_on=t["started_on"],
        ends_on=t["stopped_on"],
        label=f"{name}: {t['description']}" if t["description"] else name,
        kind=t["kind"],
    )


def _series_label(label: str, side: str | None) -> str:
    # "grip (Vigorimeter)" + "right" reads best as "Grip right (Vigorimeter)".
    if not side:
        return label[:1].upper() + label[1:]
    head, _, tail = label.partition(" (")
    return f"{head[:1].upper()}{head[1:]} {side}" + (f" ({tail}" if tail else "")


def _course_label(course: dict, products: dict[str, str]) -> str:
    parts = [date_text(course["scheduled_on"]), course["status"]]
    if course["dose_g"]:
        parts.append(dose_text(course["dose_g"]))
    if course["product_code"]:
        parts.append(products.get(course["product_code"], course["product_code"]))
    if course["lots"]:
        parts.append("lots " + ", ".join(lot["lot_number"] for lot in course["lots"]))
    if course["reactions"]:
        parts.append(f"reactions: {course['reactions']}")
    if course.get("site") == CareSite.SELF:
        parts.append(
            "self-infused, entered by the patient"
            if course.get("entered_by_patient")
            else "self-infused"
        )
    return ", ".join(parts)
