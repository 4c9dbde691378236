"""The synthetic demo cohort: realistic MMN patients for trying the tracker out."""

from tracker.demo.archetypes import ARCHETYPES, archetype_counts
from tracker.demo.cohort import DemoSummary, load_demo
from tracker.demo.guard import DemoRefused, ensure_demo_allowed, has_demo

__all__ = [
    "ARCHETYPES",
    "DemoRefused",
    "DemoSummary",
    "archetype_counts",
    "ensure_demo_allowed",
    "has_demo",
    "load_demo",
]
