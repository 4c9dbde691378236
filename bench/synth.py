"""Synthetic patient histories as plain table rows, fast and deterministic by seed.

Unlike `tracker.demo` (a few hundred hand-shaped patients through the ORM), this draws one
patient in about a millisecond as tuples ready for COPY or executemany. Each patient's
numbers come from their own `Random(seed, number)`, so any slice of the cohort can be drawn
alone and the same seed, size and day always give the same rows.

Shape per patient over `years` of history: an induction regimen then maintenance, a change of
regimen for most; a course every 21-35 days with 1-3 lots; Vigorimeter grip on both hands
before (on the course day) and 2-7 days after most courses, the MRC sum now and then, a few
wear-off days; weights every 4-6 months; a review at 6 months then yearly with INCAT or ONLS;
about 70% with a booking to come. Patterns: stable, wear-off (the weaker hand's peak beats
its trough by 11-15 kPa in the last cycles), progressive (troughs falling 10-18 kPa over the
last cycles) and noisy, so that the evaluation has real work to do.

The kinds of care and data of clinical rules 8 to 10: the site requires funding
authorisations and every patient has a chain of yearly ones ending in the current one (a
few lapsed before the next course, a few ending within the notice); about 7% moved to SC
4-18 months ago (a fixed dose in grams every 7 or 14 days, courses given by themselves at
home: site `self`, no chair); about 5% have had their IV courses of the last 3-7 months given
at home by a visiting nurse (site `home_nurse`, the nurse's own booking slots); the SC
patients and 12% more keep the phone diary: dynamometer grips on both hands near each
cycle's peak and in its last days, and on wear-off cycles the day it wore off (as the diary
page records them: source `home`, timing `clinic`, no staff member).

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
# Kinds of care and data besides the centre's chairs (clinical rules 8 to 10).
SC_SHARE = 0.07  # moved to subcutaneous courses they give themselves at home
HOME_NURSE_SHARE = 0.05  # IV courses of the last months given at home by a visiting nurse
DIARY_SHARE = 0.12  # keep the phone diary (every SC patient does too)
DIARY_DAYS = 180  # how far back the diary's home readings go
AUTH_MISSING_SHARE = 0.03  # active patients whose authorisation lapsed before the next course
AUTH_ENDING_SHARE = 0.05  # ... whose current one ends within the notice
PAYERS = ("NHS England", "Regional IVIG panel", "National immunoglobulin programme")
STREETS = ("Linden Avenue", "Station Road", "Mill Lane", "Church Street", "Orchard Close")

COLUMNS = {
    "patient": (
        "id",
        "mrn",
        "mrn_key",
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
        "address_line1",
        "postcode",
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
        "route",
        "created_by_id",
        "created_at",
    ),
    "funding_authorization": (
        "patient_id",
        "payer",
        "reference",
        "starts_on",
        "ends_on",
        "approved_g",
        "approved_courses",
        "recorded_by_id",
        "recorded_at",
        "updated_at",
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
        "site",
        "nurse_id",
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
        "source",
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
    nurses: list[int] = field(default_factory=list)
    slots_per_day: int = 9  # 08:00 to 16:00 on the hour
    visits_per_day: int = 2  # a nurse's home visits: 08:00 and 13:00
    used: dict[int, int] = field(default_factory=dict)
    visits: dict[tuple[int, int], int] = field(default_factory=dict)

    def take(self, day: int) -> tuple[int, int, str]:
        """The first free slot on `day` or a later day: (day, chair id, start time)."""
        while True:
            n = self.used.get(day, 0)
            if n < len(self.chairs) * self.slots_per_day:
                self.used[day] = n + 1
                chair = self.chairs[n % len(self.chairs)]
                return day, chair, f"{8 + n // len(self.chairs):02d}:00:00"
            day += 1

    def take_visit(self, day: int, nurse: int | None) -> tuple[int, int, str]:
        """A free home-visit slot on `day` or later, the patient's own nurse first: (day,
        nurse id, start time)."""
        order = ([nurse] if nurse is not None else []) + self.nurses
        while True:
            for candidate in order:
                n = self.visits.get((day, candidate), 0)
                if n < self.visits_per_day:
                    self.visits[day, candidate] = n + 1
                    return day, candidate, ("08:00:00", "13:00:00")[n]
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
        # Where the care is given: mostly the centre's chairs; some patients on SC at home,
        # some with their IV courses of the last months given at home by a visiting nurse.
        care = r()
        established = self.pattern != "new"
        self.care = (
            "sc"
            if established and care < SC_SHARE
            else "home_nurse"
            if established and care < SC_SHARE + HOME_NURSE_SHARE and self.bookings.nurses
            else "chair"
        )
        self.home_since = self.today - 90 - int(r() * 110)
        self.nurse = (
            self.bookings.nurses[int(r() * len(self.bookings.nurses))]
            if self.bookings.nurses
            else None
        )
        # Patients who keep the phone diary (home readings): every SC patient, and some more.
        self.diary = self.care == "sc" or r() < DIARY_SHARE
        self._patient()
        self._regimens()
        self._courses()
        self._weights()
        self._reviews()
        self._decisions()
        self._authorizations()

    def _patient(self) -> None:
        n, r = self.n, self.rng.random
        family = FAMILY[int(r() * len(FAMILY))]
        given = GIVEN[self.sex][int(r() * 9)]
        birth = self.today - int(365.25 * (25 + 55 * r()))
        consent = r() < 0.6
        email = f"patient{n}@example.org" if consent else None
        home = self.care != "chair"
        self.t["patient"].append(
            (
                n,
                f"B{n:07d}",
                f"b{n:07d}",  # rules.identity.mrn_key of the MRN
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
                f"{1 + n % 180} {STREETS[n % len(STREETS)]}" if home else None,
                f"AB{1 + n % 29} {1 + n % 9}XY" if home else None,
                self.stamp,
                self.stamp,
            )
        )

    def _regimens(self) -> None:
        r = self.rng.random
        self.product = 1 + int(r() * PRODUCTS)
        plan = [(self.start, 2.0, 28, "Induction: 2 g/kg", None, "iv", None)]
        interval = INTERVALS[int(r() * len(INTERVALS))]
        dose = DOSES[int(r() * len(DOSES))]
        day = self.start + 56
        plan.append((day, dose, interval, "Maintenance after induction", None, "iv", None))
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
                        "iv",
                        None,
                    )
                )
            elif dose * 28 / interval * 1.25 <= CAP_28D:
                dose = round(dose * 1.25, 2)
                plan.append(
                    (
                        day,
                        dose,
                        interval,
                        "Higher dose for a progressive decline",
                        "escalate_dose",
                        "iv",
                        None,
                    )
                )
        if self.care == "sc":
            # Moved to SC at home 4 to 18 months ago: the same grams per week, split into
            # weekly or fortnightly self-given courses of a fixed dose.
            switch = self.today - 120 - int(r() * 420)
            if switch < self.start + 120:
                self.care = "chair"
            else:
                plan = [p for p in plan if p[0] < switch]
                current = plan[-1]
                sc_interval = 7 if r() < 0.6 else 14
                grams = max(4.0, round(current[1] * self.weight * sc_interval / current[2] / 2) * 2)
                per_kg = round(grams / self.weight, 3)
                plan.append(
                    (switch, per_kg, sc_interval, "Subcutaneous at home", None, "sc", grams)
                )
        self.regimens = []
        for k, (starts, dose, interval, reason, action, route, grams) in enumerate(plan):
            regimen_id = self.n * REGIMEN_IDS_PER_PATIENT + k
            dose_g = grams or max(5.0, round(dose * self.weight / 5) * 5.0)
            self.regimens.append((starts, regimen_id, dose, interval, dose_g, route))
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
                    route,
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

    def _site(self, day: int, route: str) -> tuple[str, int | None]:
        """Where a course on `day` is given, and its nurse for a home visit."""
        if route == "sc":
            return "self", None
        if self.care == "home_nurse" and day >= self.home_since:
            return "home_nurse", self.nurse
        return "chair", None

    def _score(self, day: int, measure: str, side, value: float, timing: str, course_id=None):
        self.t["assessment"].append(
            (
                self.n,
                iso(day),
                measure,
                side,
                float(value),
                timing,
                course_id,
                self.staff,
                f"{iso(day)} 14:30:00",
                "clinic",
            )
        )

    def _home_score(self, day: int, measure: str, side, value: float) -> None:
        # As the diary page records them: the patient's own readings, no staff member, the
        # timing the page defaults to (clinic: not tied to a course).
        self.t["assessment"].append(
            (
                self.n,
                iso(day),
                measure,
                side,
                float(value),
                "clinic",
                None,
                None,
                f"{iso(day)} 19:30:00",
                "home",
            )
        )

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
            jitter = int(r() * 7) - 3 if interval > 14 else int(r() * 3) - 1
            day += interval + jitter
        self.course_days = days
        self.given: list[tuple[int, float]] = []
        self.booked: tuple[int, float] | None = None
        next_due = days[-1] + self._regimen_on(days[-1])[3] if days else self.start
        wear_from = len(days) - 2 - int(r() * 5)
        decline_from = len(days) - 3 - int(r() * 2)
        decline = 10 + int(r() * 9)
        weak = 25 + int(r() * 36)
        strong = weak + 20 + int(r() * 26)
        mrc = 48 + int(r() * 11)
        weak_side = "left" if r() < 0.5 else "right"
        strong_side = "right" if weak_side == "left" else "left"
        infusions, lots = self.t["infusion"], self.t["infusion_lot"]
        n, staff, pattern = self.n, self.staff, self.pattern
        diary_from = today - DIARY_DAYS
        for k, day in enumerate(days):
            course_id = n * COURSE_IDS_PER_PATIENT + k
            start, regimen_id, _dose, interval, dose_g, route = self._regimen_on(day)
            site, nurse = self._site(day, route)
            given_at = f"{iso(day)} 14:30:00"
            if route == "iv" and r() < 0.03:  # a missed course before the one given
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
                        site,
                        nurse,
                    )
                )
            infusions.append(
                (
                    course_id,
                    n,
                    regimen_id,
                    iso(day),
                    None if site == "self" else "09:00:00",
                    None,
                    1,
                    90 if site == "self" else 240,
                    "given",
                    dose_g,
                    self.product,
                    "headache" if r() < 0.1 else None,
                    None,
                    None,
                    nurse or staff,
                    given_at,
                    None,
                    None,
                    staff,
                    given_at,
                    given_at,
                    site,
                    nurse,
                )
            )
            self.given.append((day, dose_g))
            left = dose_g
            vial = 4.0 if route == "sc" else 20.0
            for lot in range(1 + int(r() * 2.2)):
                vials = max(1, int(left // vial)) if lot == 0 else 1
                lots.append(
                    (
                        course_id,
                        f"L{self.product}{(day // 30) % 1000:03d}{lot}",
                        vials,
                        vial,
                        iso(day + 400),
                    )
                )
                left -= vials * vial
                if left <= 0:
                    break
            # Strength levels on this course day: a fall in the last cycles for the
            # progressive pattern; never below a usable hand.
            falling = pattern == "progressive" and k >= decline_from
            drop = decline * (k - decline_from + 1) / 3 if falling else 0
            w = max(8, weak - drop)
            noise = 4 if pattern == "noisy" else 2
            wearing = pattern == "wear_off" and k >= wear_from
            following = days[k + 1] if k + 1 < len(days) else None
            if self.diary and day >= diary_from:
                self._diary(day, following, w, strong, weak_side, strong_side, wearing)
            if route == "sc":
                continue  # given at home: the clinic's grips come with the reviews only
            if k and r() < 0.9:  # pre-infusion: the trough of the cycle that ends today
                self._score(
                    day,
                    "grip_vigorimeter",
                    weak_side,
                    w + int(r() * (2 * noise + 1)) - noise,
                    "pre_infusion",
                    course_id,
                )
                self._score(
                    day,
                    "grip_vigorimeter",
                    strong_side,
                    strong + int(r() * 5) - 2,
                    "pre_infusion",
                    course_id,
                )
                if k % 4 == 0:
                    self._score(
                        day, "mrc_sum", None, mrc - (2 if falling else 0), "pre_infusion", course_id
                    )
            if r() < 0.8 and k + 1 < len(days) or k + 1 == len(days) and r() < 0.5:
                taken = day + 2 + int(r() * 6)
                if taken >= today or (following is not None and taken >= following):
                    continue
                amplitude = (
                    11 + int(r() * 5)
                    if wearing
                    else int(r() * 13)
                    if pattern == "noisy"
                    else 2 + int(r() * 3)
                )
                self._score(
                    taken,
                    "grip_vigorimeter",
                    weak_side,
                    w + amplitude + int(r() * 3) - 1,
                    "post_infusion",
                    course_id,
                )
                self._score(
                    taken,
                    "grip_vigorimeter",
                    strong_side,
                    strong + int(r() * 4),
                    "post_infusion",
                    course_id,
                )
                if k % 4 == 0:
                    self._score(
                        taken, "mrc_sum", None, min(60, mrc + 1), "post_infusion", course_id
                    )
                if wearing and following is not None and r() < 0.4 and not self.diary:
                    self._score(
                        following, "wear_off_day", None, max(5, following - day - 9), "clinic"
                    )
        self._booking(next_due)

    def _diary(self, day, following, weak, strong, weak_side, strong_side, wearing) -> None:
        # The patient's own dynamometer grips (kg, about a third of the Vigorimeter's kPa):
        # one near the cycle's peak and one or two in its last days; on a wear-off cycle,
        # the day it wore off as the diary works it out (days since the course given).
        r = self.rng.random
        end = following if following is not None else day + self._regimen_on(day)[3]
        length = end - day
        peak = weak + (12 if wearing else 3)
        readings = [(day + min(3, length - 1), peak)]
        for back in range(1, 2 + int(r() * 2)):
            readings.append((end - back, weak))
        for taken, level in readings:
            if taken <= day or taken >= self.today:
                continue
            self._home_score(taken, "grip_dynamometer", weak_side, round(level / 2.8 + r(), 1))
            self._home_score(taken, "grip_dynamometer", strong_side, round(strong / 2.8 + r(), 1))
        if wearing and length > 12 and r() < 0.7:
            wore_off = day + max(5, length - 9)
            if wore_off < self.today:
                self._home_score(wore_off, "wear_off_day", None, wore_off - day)

    def _booking(self, next_due: int) -> None:
        r = self.rng.random
        if self.status != "active" or r() >= 0.7:
            return
        day = max(self.today + 1, next_due + int(r() * 5) - 2)
        if r() < 0.05:
            day += 7 + int(r() * 5)  # no chair free inside the window
        _starts, regimen_id, _dose, _interval, dose_g, route = self._regimen_on(day)
        site, nurse = self._site(day, route)
        chair, start = None, None
        if site == "chair":
            day, chair, start = self.bookings.take(day)
        elif site == "home_nurse":
            day, nurse, start = self.bookings.take_visit(day, nurse)
        regimen_id = self._regimen_on(day)[1]
        self.booked = (day, dose_g)
        self.t["infusion"].append(
            (
                self.n * COURSE_IDS_PER_PATIENT + 999,
                self.n,
                regimen_id,
                iso(day),
                start,
                chair,
                1,
                90 if site == "self" else 240,
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
                site,
                nurse,
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
            self._score(day, measure, None, level, "clinic")
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

    def _authorizations(self) -> None:
        # The site requires funding authorisations: a chain of yearly ones covers every
        # course, ending in the current one. A few active patients' current one ends within
        # the notice, or lapsed before the next course (the flags the worklist shows).
        if not self.given:
            return
        r, today = self.rng.random, self.today
        payer = PAYERS[int(r() * len(PAYERS))]
        first = self.given[0][0]
        starts = max(first - 7, today - 30 - int(r() * 300))
        counted = [*self.given, *([self.booked] if self.booked else [])]
        state = r()
        ends = starts + 364
        lapse_from = max(starts, self.given[-1][0])  # after the last course given
        if self.status == "active" and state < AUTH_MISSING_SHARE and lapse_from < today - 1:
            ends = lapse_from + int(r() * (today - 1 - lapse_from))
        elif self.status == "active" and state < AUTH_MISSING_SHARE + AUTH_ENDING_SHARE:
            ends = today + 5 + int(r() * 20)
        elif ends < today + 60:
            ends = today + 60 + int(r() * 240)
        ends = max(ends, starts)
        interval = self.regimens[-1][3]
        inside = [(d, g) for d, g in counted if starts <= d <= ends]
        fitting = max(0, (ends - today) // interval + 1)
        courses = len(inside) + fitting + 2
        grams = None
        if r() < 0.5:
            grams = float(
                -(-(sum(g for _, g in inside) + fitting * self.regimens[-1][4]) * 1.15 // 10) * 10
            )
        if grams is not None and grams <= 0:  # nothing to fund in grams: courses only
            grams = None
        rows = [(starts, ends, grams, courses)]
        end = starts
        while first < end:
            begin = end - 365
            count = sum(1 for d, _ in counted if begin <= d < end)
            rows.append((begin, end - 1, None, count or None))
            end = begin
        rows.reverse()
        for k, (begin, finish, g, c) in enumerate(rows, start=1):
            recorded = f"{iso(begin - 7)} 10:00:00"
            self.t["funding_authorization"].append(
                (
                    self.n,
                    payer,
                    f"PA-{self.n}-{k:02d}",
                    iso(begin),
                    iso(finish),
                    g,
                    c,
                    self.staff,
                    recorded,
                    recorded,
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
