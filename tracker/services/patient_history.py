"""One page of a patient's full history (courses, scores, weights or reviews), newest first.

The patient's page shows only the latest of each; the whole history is read here, a page of
rows at a time, so a patient with ten years of care never makes one page 23,000 px tall.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.rules.vocabulary import Source
from tracker.services.patient_record import course_views
from tracker.store.models import Assessment, Infusion, Review, Weight

PER_PAGE = 50
HISTORY_KINDS = ("courses", "scores", "weights", "reviews")
_TABLES: dict[str, tuple[Any, Any]] = {
    "courses": (Infusion, Infusion.scheduled_on),
    "scores": (Assessment, Assessment.taken_on),
    "weights": (Weight, Weight.measured_on),
    "reviews": (Review, Review.reviewed_on),
}


@dataclass(frozen=True)
class HistoryPage:
    """Rows of one kind, newest first, with where they sit in the whole history."""

    kind: str
    rows: list[Any]
    page: int
    pages: int
    total: int
    per_page: int


def history_page(
    session: Session, *, patient_id: int, kind: str, page: int, per_page: int = PER_PAGE
) -> HistoryPage:
    """Page `page` (from 1; past the last gives the last) of a patient's `kind` history."""
    model, day = _TABLES[kind]
    table = model.__table__
    total = session.execute(
        select(func.count()).select_from(table).where(table.c.patient_id == patient_id)
    ).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    offset = (page - 1) * per_page
    if kind == "courses":
        ids = [
            row[0]
            for row in session.execute(
                select(table.c.id)
                .where(table.c.patient_id == patient_id)
                .order_by(day.desc(), table.c.id.desc())
                .offset(offset)
                .limit(per_page)
            )
        ]
        rows: list[Any] = list(reversed(course_views(session, patient_id, ids=ids)))
    else:
        rows = list(
            session.execute(
                select(table)
                .where(table.c.patient_id == patient_id)
                .order_by(day.desc(), table.c.id.desc())
                .offset(offset)
                .limit(per_page)
            ).all()
        )
    return HistoryPage(kind, rows, page, pages, total, per_page)


def latest_scores(scores: list[Any]) -> list[Any]:
    """The latest score of each series (measure, side and source: clinical rules 10), from
    rows oldest first; clinic before home."""
    latest: dict[tuple[str, str | None, str], Any] = {}
    for s in scores:
        latest[(s.measure, s.side, s.source)] = s
    return sorted(
        latest.values(), key=lambda s: (s.measure, s.side or "", s.source != Source.CLINIC)
    )
