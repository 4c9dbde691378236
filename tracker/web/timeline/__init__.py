"""The patient timeline: infusion courses, regimens, other treatments and scores as one SVG.

Modules import downwards only (a test reads their imports and fails on a circle):
``values`` (the plain input types) and ``text``, ``style``, ``scale`` at the bottom; the
drawing parts ``panels``, ``legend``, ``marks`` above them; ``render`` assembles the SVG, and
``patient`` turns a patient's record into the values ``render`` takes.
"""

from tracker.web.timeline.patient import timeline_svg
from tracker.web.timeline.render import render_timeline
from tracker.web.timeline.values import (
    TimelineCourse,
    TimelinePoint,
    TimelineRegimen,
    TimelineSeries,
)

__all__ = [
    "TimelineCourse",
    "TimelinePoint",
    "TimelineRegimen",
    "TimelineSeries",
    "render_timeline",
    "timeline_svg",
]
