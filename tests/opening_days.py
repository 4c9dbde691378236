"""Days the suite is open by default (Monday to Friday), for tests that book a chair."""

from datetime import date, timedelta


def weekday_on_or_after(day: date) -> date:
    """`day`, or the Monday after it when it falls on a weekend."""
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
