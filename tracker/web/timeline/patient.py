"""A patient's record turned into the timeline's plain values."""

from datetime import date, timedelta

from markupsafe import Markup

from tracker.rules import MEASURES
from tracker.services.patient_record import PatientRecord
from tracker.web.timeline.render import render_timeline
from tracker.web.timeline.values import (
    TimelineCourse,
    TimelinePoint,
    TimelineRegimen,
    TimelineSeries,
)

PANEL_OF = {"grip_vigorimeter": "grip", "grip_dynamometer": "grip", "mrc_sum": "mrc",
            "rods": "rods", "incat": "disability", "onls": "disability",
            "wear_off_day": "wear_off"}
KIND_OF = {"pre_infusion": "trough", "post_infusion": "peak", "clinic": "clinic"}


def timeline_svg(record: PatientRecord, *, today: date) -> Markup:
    """The patient's timeline: scores, courses, regimens, window and next booking."""
    by_series: dict[tuple[str, str | None], list[TimelinePoint]] = {}
    for s in record.scores:
        by_series.setdefault((s.measure, s.side), []).append(
            TimelinePoint(day=s.taken_on, value=s.value, kind=KIND_OF[s.timing]))
    series = []
    for (measure, side), points in sorted(by_series.items(), key=lambda kv: (kv[0][0],
                                                                             kv[0][1] or "")):
        m = MEASURES.get(measure)
        label = m.label if m else measure
        series.append(TimelineSeries(
            key=f"{measure}:{side}" if side else measure,
            label=_series_label(label, side),
            unit=m.unit if m else "",
            higher_is_better=m.higher_is_better if m else True,
            panel=PANEL_OF.get(measure, "other"),
            points=tuple(points),
        ))
    courses = [
        TimelineCourse(
            day=c["scheduled_on"], dose_g=c["dose_g"], status=c["status"],
            label=_course_label(c, record.products),
        )
        for c in record.courses if c["status"] in ("given", "booked")
    ]
    regimens = []
    for i, r in enumerate(record.regimens):
        following = record.regimens[i + 1]["starts_on"] if i + 1 < len(record.regimens) else None
        regimens.append(TimelineRegimen(
            starts_on=r["starts_on"],
            ends_on=following - timedelta(days=1) if following else None,
            label=f"{r['dose_g_per_kg']:g} g/kg"
            + (f" ({r['dose_g']:g} g)" if r["dose_g"] else "")
            + f" every {r['interval_days']} d",
            reason=r["reason"] or "",
        ))
    ev = record.evaluation
    window = (ev.window_start, ev.window_end) if ev.window_start else None
    return render_timeline(
        series=series, courses=courses, regimens=regimens, window=window,
        next_booking=ev.next_booking.starts_on if ev.next_booking else None, today=today,
    )


def _series_label(label: str, side: str | None) -> str:
    # "grip (Vigorimeter)" + "right" reads best as "Grip right (Vigorimeter)".
    if not side:
        return label[:1].upper() + label[1:]
    head, _, tail = label.partition(" (")
    return f"{head[:1].upper()}{head[1:]} {side}" + (f" ({tail}" if tail else "")


def _course_label(course: dict, products: dict[str, str]) -> str:
    parts = [course["scheduled_on"].isoformat(), course["status"]]
    if course["dose_g"]:
        parts.append(f"{course['dose_g']:g} g")
    if course["product_code"]:
        parts.append(products.get(course["product_code"], course["product_code"]))
    if course["lots"]:
        parts.append("lots " + ", ".join(lot["lot_number"] for lot in course["lots"]))
    if course["reactions"]:
        parts.append(f"reactions: {course['reactions']}")
    return ", ".join(parts)
