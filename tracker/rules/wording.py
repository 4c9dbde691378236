"""How the rules write a day in the sentences they give people: the style of every page.

The rules' refusals and reasons reach staff through the API, the page forms and the e-mails,
so they write a day as the pages do ("04 Dec 2026"), never as ISO text. `formats.display`
takes its `date_text` from here, so the two cannot drift apart.
"""

from datetime import date

# Our own names: strftime("%b") follows the process locale, and what staff read must not.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def date_text(day: date, *, weekday: bool = False) -> str:
    """A day as staff read it: "04 Dec 2026", or "Fri 04 Dec 2026" where the weekday helps."""
    text = f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text
