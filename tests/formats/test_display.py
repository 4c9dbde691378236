"""How pages and e-mails write dates, instants, figures and doses: one style each."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tracker.formats.display import (
    clock_text,
    date_text,
    datetime_text,
    dose_text,
    duration_text,
    long_date,
    number_text,
)

LONDON = ZoneInfo("Europe/London")


def test_a_day_reads_the_same_everywhere_with_the_weekday_only_in_front():
    assert date_text(date(2026, 12, 4)) == "04 Dec 2026"
    assert date_text(date(2026, 12, 4), weekday=True) == "Fri 04 Dec 2026"
    assert date_text(date(2024, 2, 29)) == "29 Feb 2024"


def test_a_letter_to_a_patient_writes_the_day_in_full():
    assert long_date(date(2026, 3, 5)) == "Thursday 5 March 2026"


def test_a_time_of_day_from_a_time_or_from_minutes_after_midnight():
    assert clock_text(time(9, 3)) == "09:03"
    assert clock_text(9 * 60 + 30) == "09:30"
    assert clock_text(24 * 60 + 15) == "00:15"  # a booking that runs past midnight
    assert duration_text(125) == "2 h 05 min"


def test_an_instant_is_shown_on_the_site_wall_clock():
    summer = datetime(2026, 7, 1, 13, 5, 7, tzinfo=UTC)
    assert datetime_text(summer, LONDON) == "01 Jul 2026 14:05"
    assert datetime_text(summer, UTC, seconds=True) == "01 Jul 2026 13:05:07"
    # Just before midnight UTC is already the next day in the site's summer time.
    assert datetime_text(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), LONDON) == "02 Jul 2026 00:30"
    # A naive instant is read as UTC, never as the server's own zone.
    assert datetime_text(datetime(2026, 1, 10, 8, 0), LONDON) == "10 Jan 2026 08:00"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2, "2"),
        (2.0, "2"),
        (0.4, "0.4"),
        (140.5, "140.5"),
        (1200, "1200"),
        (1234567, "1234567"),  # '%g' wrote 1.23457e+06
        (0.1 + 0.2, "0.3"),
        (-0.0, "0"),
        (-2.5, "-2.5"),
    ],
)
def test_a_figure_drops_trailing_zeros_and_never_turns_exponential(value, text):
    assert number_text(value) == text


def test_a_figure_to_fixed_places_or_with_its_sign():
    assert number_text(4 / 3, places=2) == "1.33"
    assert number_text(1.5, sign=True) == "+1.5"
    assert number_text(-2, sign=True) == "-2"
    assert number_text(0, sign=True) == "+0"


def test_a_dose_carries_its_unit():
    assert dose_text(140) == "140 g"
    assert dose_text(2.0, "g/kg") == "2 g/kg"
    with pytest.raises(ValueError, match="unknown dose unit"):
        dose_text(2, "mg")
