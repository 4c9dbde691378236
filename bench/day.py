"""A clinic's day of writes between two sweeps: every course booked for the day given.

    .venv/bin/python bench/day.py --url URL --on DAY

Each booked course of DAY is recorded as given by a nurse through the tracker's own service
(`infusions.administer_infusion`, as the chair-side page does), one transaction each with
its audit entry and the patient's re-evaluation; with the cohort's bookings that is about
one patient in forty. So the daily sweep that follows finds the changes a real day leaves,
however the tracker keeps track of them. Prints one JSON line: courses given, refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from tracker.schemas.treatment import InfusionAdminister, LotInput  # noqa: E402
from tracker.services.actors import Actor  # noqa: E402
from tracker.services.errors import Conflict, Invalid  # noqa: E402
from tracker.services.infusions import administer_infusion  # noqa: E402
from tracker.store.engine import make_engine, session_scope  # noqa: E402


def give_the_day(url: str, day: date) -> dict:
    """Record every course booked on `day` as given, one transaction each."""
    engine = make_engine(url)
    with engine.connect() as connection:
        nurse = connection.execute(
            text("SELECT id, username FROM staff_user WHERE role = 'pharmacist' ORDER BY id")
        ).first()
        courses = connection.execute(
            text(
                "SELECT i.id, coalesce(i.planned_dose_g, r.dose_g, 30) FROM infusion i "
                "LEFT JOIN regimen r ON r.id = i.regimen_id "
                "WHERE i.status = 'booked' AND i.scheduled_on = :day ORDER BY i.id"
            ),
            {"day": day if engine.dialect.name == "postgresql" else day.isoformat()},
        ).all()
    actor = Actor(id=nurse[0], username=nurse[1], role="pharmacist")
    given = refused = 0
    reasons: dict[str, int] = {}
    for course_id, grams in courses:
        grams = min(200.0, float(grams))  # at most 200 g a day (the app refuses more)
        data = InfusionAdminister(
            dose_g=grams,
            lots=[LotInput(lot_number="BENCHDAY", vials=max(1, round(grams / 10)), size_g=10)],
            confirm_lot_total=True,
            override_reason="bench: a course given outside the funding",
        )
        try:
            with session_scope(engine) as session:
                administer_infusion(
                    session, actor=actor, infusion_id=course_id, data=data, today=day
                )
            given += 1
        except (Conflict, Invalid) as exc:
            refused += 1
            reasons[str(exc)[:80]] = reasons.get(str(exc)[:80], 0) + 1
    engine.dispose()
    return {
        "day": day.isoformat(),
        "booked": len(courses),
        "given": given,
        "refused": refused,
        "why": reasons,
    }


def main() -> None:
    """Give the day's courses from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--on", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    print(json.dumps(give_the_day(args.url, args.on)))


if __name__ == "__main__":
    main()
