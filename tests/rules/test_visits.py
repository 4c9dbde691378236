"""Sites of care and the nurse's hold (clinical rules 9), on plain values."""

from datetime import time

import pytest

from tracker.rules.chairs import DEFAULT_CHAIR_MINUTES, spans_clash
from tracker.rules.visits import (
    SiteError,
    bound_by_opening_hours,
    check_site_resources,
    clock,
    free_spans,
    visit_span,
    visit_window,
)


def test_a_visit_holds_its_nurse_for_the_course_plus_the_buffer():
    assert visit_span(time(9, 0), 150, 30) == (540, 720)
    assert visit_span(time(9, 0), None, 30) == (540, 540 + DEFAULT_CHAIR_MINUTES + 30)
    assert visit_span(None, 150, 30) == (0, 24 * 60)  # untimed: all day
    assert visit_window(None, 150, 30) is None


def test_visits_of_one_nurse_clash_when_their_holds_overlap():
    first = visit_span(time(9, 0), 150, 30)
    assert spans_clash(first, visit_span(time(11, 59), 60, 30))
    assert not spans_clash(first, visit_span(time(12, 0), 60, 30))


@pytest.mark.parametrize(
    ("site", "chair", "nurse", "field"),
    [
        ("home_nurse", None, None, "nurse"),
        ("home_nurse", "C1", "nina", "chair"),
        ("chair", None, "nina", "nurse"),
        ("self", "C1", None, "chair"),
        ("self", None, "nina", "nurse"),
    ],
)
def test_each_site_has_its_own_resources(site, chair, nurse, field):
    with pytest.raises(SiteError) as refused:
        check_site_resources(site, chair=chair, nurse=nurse)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("site", "chair", "nurse"),
    [
        ("home_nurse", None, "nina"),
        ("chair", "C1", None),
        ("chair", None, None),
        ("self", None, None),
    ],
)
def test_sites_with_their_resources_pass(site, chair, nurse):
    check_site_resources(site, chair=chair, nurse=nurse)


def test_only_the_centre_keeps_opening_hours():
    assert bound_by_opening_hours("chair")
    assert not bound_by_opening_hours("home_nurse") and not bound_by_opening_hours("self")


def test_free_time_between_visits():
    assert free_spans([(540, 720), (780, 900)], day_start=480, day_end=1080) == [
        (480, 540),
        (720, 780),
        (900, 1080),
    ]
    assert free_spans([(0, 1440)], day_start=480, day_end=1080) == []
    assert clock(1500) == "01:00"
