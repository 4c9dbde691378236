"""The worklist's faster queries give the same pages, totals and counts as the originals."""

from datetime import date, timedelta

import pytest

from tests.services import reference_worklist
from tracker.demo import load_demo
from tracker.services import worklist
from tracker.services.evaluation import refresh_all

TODAY = date(2026, 11, 21)
FILTERS = (
    {},
    *({"flag": f} for f in worklist.FLAG_CODES),
    *({"action": a} for a in worklist.ACTIONS),
    *({"view": v} for v in worklist.view_conditions(TODAY)),
    {"query": "a"},
    {"query": "zzz-nobody"},
    {"view": "needs_booking", "query": "e"},
)


@pytest.fixture
def cohort(session):
    load_demo(session, patients=60, seed=6, today=TODAY, zone="UTC")
    refresh_all(session, today=TODAY)
    session.flush()
    return session


@pytest.mark.parametrize("shift", [0, 9, -40])
def test_every_filter_and_page_matches_the_original(cohort, shift):
    day = TODAY + timedelta(days=shift)
    assert worklist.view_counts(cohort, on=day) == reference_worklist.view_counts(cohort, on=day)
    for chosen in FILTERS:
        for offset, limit in ((0, 50), (0, 7), (7, 7), (30, 10), (0, 1), (1, 1), (2, 1), (0, 2)):
            assert worklist.worklist(cohort, on=day, offset=offset, limit=limit, **chosen) == (
                reference_worklist.worklist(cohort, on=day, offset=offset, limit=limit, **chosen)
            ), chosen


def test_the_counts_are_read_again_after_a_change(cohort):
    before = worklist.view_counts(cohort, on=TODAY)
    state = cohort.exec(
        worklist.select(worklist.PatientState).where(worklist.PatientState.status == "active")
    ).first()
    state.overdue_from = (
        date.min if state.overdue_from is None or state.overdue_from > TODAY else None
    )
    cohort.flush()
    after = worklist.view_counts(cohort, on=TODAY)
    assert after == reference_worklist.view_counts(cohort, on=TODAY)
    assert after != before
