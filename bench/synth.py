"""Synthetic patient histories as plain table rows, fast and deterministic by seed.

Unlike `tracker.demo` (a few hundred hand-shaped patients through the ORM), this draws one
patient in about a millisecond as tuples ready for COPY or executemany. Each patient's
numbers come from their own `Random(seed, number)`, so any slice of the cohort can be drawn
alone and the same seed, size and day always give the same rows.

Shape per patient over `years` of history: an induction regimen then maintenance, a change of
regimen for most; a course every 21-35 days with 1-3 lots; Vigorimeter grip on both hands
before (on the course day) and 2-7 days after most courses, the MRC sum now and then, a few
patient-reported wear-off days; weights every 4-6 months; a review at 6 months then yearly
with INCAT or ONLS; about 70% with a booking to come. Patterns: stable, wear-off (the weaker
hand's peak beats its trough by 11-15 kPa in the last cycles), progressive (troughs falling
10-18 kPa over the last cycles) and noisy, so that the evaluation has real work to do.

Ids: regimens are numbered `patient * 20 + k` and courses `patient * 1000 + k` so that rows
can be drawn apart and still point at each other; everything else takes the database's own
ids in insertion order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from random import Random

REGIMEN_IDS_PER_PATIENT = 20
COURSE_IDS_PER_PATIENT = 1000
PRODUCTS = 6  # ids 1..6, seeded by the migrations
FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walker",
    "Evans",
    "Thomas",
    "Roberts",
    "Green",
    "Hall",
    "Khan",
    "Lewis",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
)
GIVEN = {
    "female": ("Anna", "Mary", "Sofia", "Grace", "Emma", "Ruth", "Leah", "Joan", "Nina"),
    "male": ("John", "Peter", "Omar", "David", "Tom", "Ravi", "Luke", "Karl", "Ian"),
}
PATTERNS = (("stable", 55), ("wear_off", 20), ("progressive", 12), ("noisy", 8), ("new", 5))
INTERVALS = (21, 28, 28, 28, 35)
DOSES = (0.8, 1.0, 1.0, 1.2, 1.4)
CAP_28D = 2.4

COLUMNS = {
    "patient": (
        "id",
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "height_cm",
        "email",
        "reminder_consent",
        "diagnosis",
        "status",
        "min_interval_days",
        "max_interval_days",
        "is_demo",
        "created_at",
        "updated_at",
    ),
    "weight": ("patient_id", "measured_on", "weight_kg", "recorded_by_id", "recorded_at"),
    "regimen": (
        "id",
        "patient_id",
        "starts_on",
        "dose_g_per_kg",
        "interval_days",
        "days_per_course",
        "product_id",
        "weight_basis",
        "reason",
        "override_reason",
        "dosing_weight_kg",
        "weight_basis_used",
        "dose_g",
        "from_action",
        "created_by_id",
        "created_at",
    ),
    "infusion": (
        "id",
        "patient_id",
        "regimen_id",
        "scheduled_on",
        "start_time",
        "chair_id",
        "days",
        "chair_minutes",
        "status",
        "dose_g",
        "product_id",
        "reactions",
        "premedication",
        "notes",
        "given_by_id",
        "given_at",
        "cancel_reason",
        "cancelled_at",
        "created_by_id",
        "created_at",
        "updated_at",
    ),
    "infusion_lot": ("infusion_id", "lot_number", "vials", "size_g", "expires_on"),
    "assessment": (
        "patient_id",
        "taken_on",
        "measure",
        "side",
        "value",
        "timing",
        "infusion_id",
        "recorded_by_id",
        "recorded_at",
    ),
    "review": ("patient_id", "reviewed_on", "outcome", "notes", "reviewed_by_id", "created_at"),
    "recommendation_decision": (
        "patient_id",
        "regimen_id",
        "action",
        "decision",
        "reason",
        "new_regimen_id",
        "decided_by_id",
        "decided_at",
    ),
}
TABLES = tuple(COLUMNS)  # in foreign-key order

_ISO: dict[int, str] = {}


def iso(ordinal: int) -> str:
    """A day number as an ISO date (cached: a cohort has only a few thousand distinct days)."""
    text = _ISO.get(ordinal)
    if text is None:
        text = _ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


@dataclass
class Rows:
    """Rows per table, in the column order of COLUMNS."""

    tables: dict[str, list[tuple]] = field(default_factory=lambda: {t: [] for t in TABLES})

    def extend(self, other: Rows) -> None:
        """Append another batch's rows."""
        for name, rows in other.tables.items():
            self.tables[name].extend(rows)

    def count(self) -> int:
        """All rows of all tables."""
        return sum(len(rows) for rows in self.tables.values())


@dataclass
class Bookings:
    """Hands out (chair, start time) slots so that no two live bookings share one."""

    chairs: list[int]
    slots_per_day: int = 9  # 08:00 to 16:00 on the hour
    used: dict[int, int] = field(default_factory=dict)

    def take(self, day: int) -> tuple[int, int, str]:
        """The first free slot on `day` or a later day: (day, chair id, start time)."""
        while True:
            n = self.used.get(day, 0)
            if n < len(self.chairs) * self.slots_per_day:
                self.used[day] = n + 1
                chair = self.chairs[n % len(self.chairs)]
                return day, chair, f"{8 + n // len(self.chairs):02d}:00:00"
            day += 1


def draw_patients(
    first: int,
    last: int,
    *,
    seed: int,
    today: date,
    staff_id: int,
    bookings: Bookings,
    years: float = 3.0,
) -> Rows:
    """Rows for patients numbered first..last (inclusive)."""
    rows = Rows()
    for number in range(first, last + 1):
        _Patient(
            rows,
            number,
            seed=seed,
            today=today.toordinal(),
            staff_id=staff_id,
            bookings=bookings,
            years=years,
        ).draw()
    return rows


class _Patient:
    def __init__(
        self,
        rows: Rows,
        number: int,
        *,
        seed: int,
        today: int,
        staff_id: int,
        bookings: Bookings,
        years: float,
    ) -> None:
        self.t = rows.tables
        self.n = number
        self.rng = Random(seed * 1_000_003 + number)
        self.today = today
        self.staff = staff_id
        self.bookings = bookings
        self.years = years
        self.stamp = f"{iso(today)} 09:00:00"

    def draw(self) -> None:
        r = self.rng.random
        self.pattern = _pick(r(), PATTERNS)
        self.status = "active" if r() < 0.94 else ("on_hold" if r() < 0.65 else "discharged")
        self.sex = "female" if r() < 0.45 else "male"
        self.height = round(150 + 35 * r() + (8 if self.sex == "male" else 0), 1)
        self.weight = round((19 + 20 * r()) * (self.height / 100) ** 2, 1)
        span = int(self.years * 365.25) + int(60 * r())
        if self.pattern == "new":
            span = 90 + int(270 * r())
        self.start = self.today - span
        self._patient()
        self._regimens()
        self._courses()
        self._weights()
        self._reviews()
        self._decisions()

    def _patient(self) -> None:
        n, r = self.n, self.rng.random
        family = FAMILY[int(r() * len(FAMILY))]
        given = GIVEN[self.sex][int(r() * 9)]
        birth = self.today - int(365.25 * (25 + 55 * r()))
        consent = r() < 0.6
        email = f"patient{n}@example.org" if consent else None
        self.t["patient"].append(
            (
                n,
                f"B{n:07d}",
                given,
                family,
                iso(birth),
                self.sex,
                self.height,
                email,
                consent,
                "MMN",
                self.status,
                None,
                None,
                True,
                self.stamp,
                self.stamp,
            )
        )

    def _regimens(self) -> None:
        r = self.rng.random
        self.product = 1 + int(r() * PRODUCTS)
        plan = [(self.start, 2.0, 28, "Induction: 2 g/kg", None)]
        interval = INTERVALS[int(r() * len(INTERVALS))]
        dose = DOSES[int(r() * len(DOSES))]
        day = self.start + 56
        plan.append((day, dose, interval, "Maintenance after induction", None))
        # Most patients have had their regimen changed since; some several times over a
        # long history (the 10-year patient).
        changes = int(self.years / 2.5 + r() * 1.4)
        for _ in range(changes):
            day += 180 + int(r() * 400)
            if day > self.today - 150:
                break
            if interval > 21 and r() < 0.5:
                interval -= 7
                plan.append(
                    (
                        day,
                        dose,
                        interval,
                        "Shorter interval for end-of-dose wear-off",
                        "shorten_interval",
                    )
                )
            elif dose * 28 / interval * 1.25 <= CAP_28D:
                dose = round(dose * 1.25, 2)
                plan.append(
                    (day, dose, interval, "Higher dose for a progressive decline", "escalate_dose")
                )
        self.regimens = []
        for k, (starts, dose, interval, reason, action) in enumerate(plan):
            regimen_id = self.n * REGIMEN_IDS_PER_PATIENT + k
            dose_g = max(5.0, round(dose * self.weight / 5) * 5.0)
            self.regimens.append((starts, regimen_id, dose, interval, dose_g))
            self.t["regimen"].append(
                (
                    regimen_id,
                    self.n,
                    iso(starts),
                    dose,
                    interval,
                    1,
                    self.product,
                    "auto",
                    reason,
                    None,
                    self.weight,
                    "actual",
                    dose_g,
                    action,
                    self.staff,
                    self.stamp,
                )
            )

    def _regimen_on(self, day: int):
        current = self.regimens[0]
        for regimen in self.regimens:
            if regimen[0] <= day:
                current = regimen
        return current

    def _courses(self) -> None:
        r, today = self.rng.random, self.today
        days: list[int] = []
        day = self.start
        # Where the course history stops: today for most, earlier for the overdue and for
        # patients on hold or discharged.
        stop = today
        if self.status != "active":
            stop = today - 30 - int(r() * 200)
        elif r() < 0.05:
            stop = today - 40 - int(r() * 30)
        while day <= stop:
            days.append(day)
            interval = self._regimen_on(day)[3]
            day += interval + int(r() * 7) - 3
        self.course_days = days
        next_due = days[-1] + self._regimen_on(days[-1])[3] if days else self.start
        wear_from = len(days) - 2 - int(r() * 5)
        decline_from = len(days) - 3 - int(r() * 2)
        decline = 10 + int(r() * 9)
        weak = 25 + int(r() * 36)
        strong = weak + 20 + int(r() * 26)
        mrc = 48 + int(r() * 11)
        weak_side = "left" if r() < 0.5 else "right"
        strong_side = "right" if weak_side == "left" else "left"
        infusions, lots, scores = self.t["infusion"], self.t["infusion_lot"], self.t["assessment"]
        n, staff, pattern = self.n, self.staff, self.pattern
        for k, day in enumerate(days):
            course_id = n * COURSE_IDS_PER_PATIENT + k
            start, regimen_id, _dose, _interval, dose_g = self._regimen_on(day)
            given_at = f"{iso(day)} 14:30:00"
            if r() < 0.03:  # a missed course before the one given
                infusions.append(
                    (
                        n * COURSE_IDS_PER_PATIENT + 500 + k,
                        n,
                        regimen_id,
                        iso(day - 2),
                        "10:00:00",
                        None,
                        1,
                        180,
                        "missed",
                        None,
                        self.product,
                        None,
                        None,
                        None,
                        None,
                        None,
                        "did not attend",
                        given_at,
                        staff,
                        given_at,
                        given_at,
                    )
                )
            infusions.append(
                (
                    course_id,
                    n,
                    regimen_id,
                    iso(day),
                    "09:00:00",
                    None,
                    1,
                    240,
                    "given",
                    dose_g,
                    self.product,
                    "headache" if r() < 0.1 else None,
                    None,
                    None,
                    staff,
                    given_at,
                    None,
                    None,
                    staff,
                    given_at,
                    given_at,
                )
            )
            left = dose_g
            for lot in range(1 + int(r() * 2.2)):
                vials = max(1, int(left // 20)) if lot == 0 else 1
                lots.append(
                    (
                        course_id,
                        f"L{self.product}{(day // 30) % 1000:03d}{lot}",
                        vials,
                        20.0,
                        iso(day + 400),
                    )
                )
                left -= vials * 20
                if left <= 0:
                    break
            # Strength levels on this course day: a fall in the last cycles for the
            # progressive pattern; never below a usable hand.
            falling = pattern == "progressive" and k >= decline_from
            drop = decline * (k - decline_from + 1) / 3 if falling else 0
            w = max(8, weak - drop)
            noise = 4 if pattern == "noisy" else 2
            if k and r() < 0.9:  # pre-infusion: the trough of the cycle that ends today
                scores.append(
                    (
                        n,
                        iso(day),
                        "grip_vigorimeter",
                        weak_side,
                        float(w + int(r() * (2 * noise + 1)) - noise),
                        "pre_infusion",
                        course_id,
                        staff,
                        given_at,
                    )
                )
                scores.append(
                    (
                        n,
                        iso(day),
                        "grip_vigorimeter",
                        strong_side,
                        float(strong + int(r() * 5) - 2),
                        "pre_infusion",
                        course_id,
                        staff,
                        given_at,
                    )
                )
                if k % 4 == 0:
                    scores.append(
                        (
                            n,
                            iso(day),
                            "mrc_sum",
                            None,
                            float(mrc - (2 if falling else 0)),
                            "pre_infusion",
                            course_id,
                            staff,
                            given_at,
                        )
                    )
            if r() < 0.8 and k + 1 < len(days) or k + 1 == len(days) and r() < 0.5:
                taken = day + 2 + int(r() * 6)
                if taken >= today or (k + 1 < len(days) and taken >= days[k + 1]):
                    continue
                wearing = pattern == "wear_off" and k >= wear_from
                amplitude = (
                    11 + int(r() * 5)
                    if wearing
                    else int(r() * 13)
                    if pattern == "noisy"
                    else 2 + int(r() * 3)
                )
                scores.append(
                    (
                        n,
                        iso(taken),
                        "grip_vigorimeter",
                        weak_side,
                        float(w + amplitude + int(r() * 3) - 1),
                        "post_infusion",
                        course_id,
                        staff,
                        given_at,
                    )
                )
                scores.append(
                    (
                        n,
                        iso(taken),
                        "grip_vigorimeter",
                        strong_side,
                        float(strong + int(r() * 4)),
                        "post_infusion",
                        course_id,
                        staff,
                        given_at,
                    )
                )
                if k % 4 == 0:
                    scores.append(
                        (
                            n,
                            iso(taken),
                            "mrc_sum",
                            None,
                            float(min(60, mrc + 1)),
                            "post_infusion",
                            course_id,
                            staff,
                            given_at,
                        )
                    )
                if wearing and k + 1 < len(days) and r() < 0.4:
                    length = days[k + 1] - day
                    scores.append(
                        (
                            n,
                            iso(days[k + 1]),
                            "wear_off_day",
                            None,
                            float(max(5, length - 9)),
                            "clinic",
                            None,
                            staff,
                            given_at,
                        )
                    )
        self._booking(next_due)

    def _booking(self, next_due: int) -> None:
        r = self.rng.random
        if self.status != "active" or r() >= 0.7:
            return
        day = max(self.today + 1, next_due + int(r() * 5) - 2)
        if r() < 0.05:
            day += 7 + int(r() * 5)  # no chair free inside the window
        day, chair, start = self.bookings.take(day)
        regimen_id = self._regimen_on(day)[1]
        self.t["infusion"].append(
            (
                self.n * COURSE_IDS_PER_PATIENT + 999,
                self.n,
                regimen_id,
                iso(day),
                start,
                chair,
                1,
                240,
                "booked",
                None,
                self.product,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                self.staff,
                self.stamp,
                self.stamp,
            )
        )

    def _weights(self) -> None:
        r = self.rng.random
        stale = r() < 0.05
        end = self.today - (200 + int(r() * 100) if stale else 0)
        day, kg = self.start - int(r() * 10), self.weight
        while day <= end:
            self.t["weight"].append((self.n, iso(day), kg, self.staff, f"{iso(day)} 08:30:00"))
            kg = round(kg + (r() - 0.5) * 2, 1)
            day += 120 + int(r() * 60)

    def _reviews(self) -> None:
        r = self.rng.random
        day = self.start + 182 + int(r() * 20)
        measure = "incat" if r() < 0.5 else "onls"
        level = 1 + int(r() * 3)
        while day <= self.today - 10:
            self.t["review"].append(
                (
                    self.n,
                    iso(day),
                    "continue",
                    "Benefit sustained",
                    self.staff,
                    f"{iso(day)} 12:00:00",
                )
            )
            self.t["assessment"].append(
                (
                    self.n,
                    iso(day),
                    measure,
                    None,
                    float(level),
                    "clinic",
                    None,
                    self.staff,
                    f"{iso(day)} 12:00:00",
                )
            )
            day += 350 + int(r() * 30)

    def _decisions(self) -> None:
        # A third have had a taper proposal for their current regimen looked at and declined.
        if self.rng.random() < 0.33:
            regimen_id = self.regimens[-1][1]
            self.t["recommendation_decision"].append(
                (
                    self.n,
                    regimen_id,
                    "consider_taper",
                    "dismissed",
                    "Patient prefers no change",
                    None,
                    self.staff,
                    self.stamp,
                )
            )


def _pick(x: float, weighted) -> str:
    total = sum(w for _, w in weighted)
    x *= total
    for name, w in weighted:
        if x < w:
            return name
        x -= w
    return weighted[-1][0]
