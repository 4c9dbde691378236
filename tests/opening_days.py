"""The suite's opening days in tests that book a chair.

By default the suite opens Monday to Friday, 08:00-18:00. Tests on fixed days that fall at a
weekend (1 March 2026 is a Sunday) open the suite every day instead of moving their days.
"""

from datetime import date, time, timedelta

from sqlmodel import Session

from tracker.store.models import OpeningHours


def weekday_on_or_after(day: date) -> date:
    """`day`, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def open_every_day(session: Session, opens: time = time(0, 0), closes: time = time(23, 59)) -> None:
    """Open the suite all week (written straight to the table: a test's set-up, not audited)."""
    for weekday in range(7):
        row = session.get(OpeningHours, weekday) or OpeningHours(weekday=weekday)
        row.opens, row.closes = opens, closes
        session.add(row)
    session.flush()
