"""Chairs, start times and product lots for the demo's courses."""

from collections.abc import Sequence
from datetime import date
from random import Random

from tracker.demo.calendar import days
from tracker.rules.dosing import VialPlan

# Starts from 08:00 to 13:00 on the quarter hour, in minutes after midnight.
START_SLOTS = tuple(range(8 * 60, 13 * 60 + 1, 15))
# The pharmacy works through one lot of each vial size for about two months.
LOT_PERIOD_DAYS = 60
_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


class ChairBook:
    """Which chair is busy when: courses go where the chair is free, never on a taken start."""

    def __init__(self, chair_ids: Sequence[int]) -> None:
        self._chairs = list(chair_ids)
        self._busy: dict[date, list[tuple[int, int, int]]] = {}
        self._starts: set[tuple[date, int, int]] = set()

    def place(
        self, rng: Random, day: date, length: int, minutes: int, prefer: tuple[int, int] | None
    ) -> tuple[int | None, int]:
        """A (chair id, start minute) for a course of `length` days of `minutes` each."""
        # A fixed number of draws whatever happens, so one busy day does not shift the rest.
        tries = [
            (rng.choice(self._chairs) if self._chairs else 0, rng.choice(START_SLOTS))
            for _ in range(16)
        ]
        if not self._chairs:
            return None, tries[0][1]
        if prefer is not None:
            tries.insert(0, prefer)
        for chair, start in tries:
            if self._free(day, length, chair, start, minutes):
                self._take(day, length, chair, start, minutes)
                return chair, start
        # A full day: share a chair's time (as a busy unit double-books), never its start,
        # which the database refuses for two live bookings.
        for chair in self._chairs:
            for start in START_SLOTS:
                if (day, chair, start) not in self._starts:
                    self._take(day, length, chair, start, minutes)
                    return chair, start
        return None, tries[0][1]

    def _free(self, day: date, length: int, chair: int, start: int, minutes: int) -> bool:
        if (day, chair, start) in self._starts:
            return False
        end = start + minutes
        for offset in range(length):
            for other, s, e in self._busy.get(day + days(offset), ()):
                if other == chair and s < end and start < e:
                    return False
        return True

    def _take(self, day: date, length: int, chair: int, start: int, minutes: int) -> None:
        self._starts.add((day, chair, start))
        for offset in range(length):
            self._busy.setdefault(day + days(offset), []).append((chair, start, start + minutes))


class LotPool:
    """The lots in the pharmacy's stock: one per product, vial size and two-month period."""

    def __init__(self) -> None:
        self._lots: dict[tuple[str, float, int, int], tuple[str, date]] = {}
        self._numbers: set[str] = set()

    def lot(
        self, rng: Random, product: str, size_g: float, day: date, variant: int = 0
    ) -> tuple[str, date]:
        """The (lot number, expiry) used for this product and vial size around `day`."""
        period = day.toordinal() // LOT_PERIOD_DAYS
        key = (product, size_g, period, variant)
        if key not in self._lots:
            number = _lot_number(rng, product)
            while number in self._numbers:
                number = _lot_number(rng, product)
            self._numbers.add(number)
            # Expiry 6 to 24 months after any course in the period.
            period_end = date.fromordinal((period + 1) * LOT_PERIOD_DAYS)
            self._lots[key] = (number, period_end + days(rng.randint(185, 660)))
        return self._lots[key]

    def course_lots(
        self, rng: Random, product: str, plan: VialPlan, day: date
    ) -> list[tuple[str, int, float, date]]:
        """(lot number, vials, size g, expiry) per lot used: each size, now and then two lots."""
        out = []
        spare = 3 - len(plan.vials)  # at most three lots per course
        for vial in plan.vials:
            parts = [(vial.count, 0)]
            if vial.count >= 2 and spare > 0 and rng.random() < 0.25:
                first = rng.randint(1, vial.count - 1)
                parts = [(first, 0), (vial.count - first, 1)]
                spare -= 1
            for count, variant in parts:
                number, expires = self.lot(rng, product, vial.size_g, day, variant)
                out.append((number, count, vial.size_g, expires))
        return out


def _lot_number(rng: Random, product: str) -> str:
    def digits(n: int) -> str:
        return "".join(rng.choice(_DIGITS) for _ in range(n))

    def letters(n: int) -> str:
        return "".join(rng.choice(_LETTERS) for _ in range(n))

    # Shaped like each maker's lot numbers, but made up.
    if product == "privigen":
        return "P1" + digits(8)
    if product == "gammagard":
        return "LE" + digits(2) + letters(1) + digits(3) + letters(2)
    if product == "octagam10":
        return letters(1) + digits(3) + letters(1) + digits(4)
    if product == "panzyga":
        return "PZ" + digits(6)
    if product == "gamunexc":
        return letters(1) + digits(1) + letters(1) + digits(4)
    if product == "flebogamma10":
        return "IBG" + letters(1) + digits(1) + letters(2)
    return product[:3].upper() + digits(6)
