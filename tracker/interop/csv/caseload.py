"""What an import knows about each patient it touches: the rows already stored and the rows
of the files read so far, so that every row is checked against both."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time
from itertools import count

from sqlmodel import Session

from tracker.rules import RegimenFact, current_regimen, latest_weight
from tracker.rules.identity import mrn_key
from tracker.rules.plausibility import Life
from tracker.rules.vocabulary import CourseStatus
from tracker.services import imports
from tracker.services.catalogue import every_chair, every_product
from tracker.store.ids import stored_id


@dataclass
class RegimenEntry:
    """A regimen as a course row needs it."""

    key: int  # the database id, or a negative stand-in before it is written
    starts_on: date
    dose_g_per_kg: float
    interval_days: int
    product_id: int | None
    dose_g: float | None


@dataclass
class CourseRef:
    """A course as a score row may name it (by day)."""

    key: int  # the database id, or a negative stand-in before it is written
    status: str
    days: int = 1


@dataclass
class PatientEntry:
    """One patient's facts that later rows are checked against."""

    key: int
    mrn: str
    birth_date: date
    sex: str | None
    height_cm: float | None
    status: str
    min_interval_days: int | None
    max_interval_days: int | None
    stored: bool  # True when the patient was in the database before this import
    weights: list[tuple[date, float]] = field(default_factory=list)  # in the order recorded
    regimens: list[RegimenEntry] = field(default_factory=list)
    courses: dict[date, list[CourseRef]] = field(
        default_factory=lambda: defaultdict(list)
    )  # by first day
    loaded: bool = False  # the stored weights, regimens and courses have been read

    def add_weight(self, day: date, weight_kg: float) -> None:
        """Remember a weight (after those recorded before it)."""
        self.weights.append((day, weight_kg))

    def weight_on(self, day: date) -> float | None:
        """The weight that counts on `day` (the rules' latest_weight), or None."""
        found = latest_weight(self.weights, day)
        return None if found is None else found[1]

    def life(self, today: date) -> Life:
        """The days this patient's record can speak of (the plausibility rules' Life)."""
        return Life(born_on=self.birth_date, today=today)

    def live_courses(self) -> list[tuple[date, int]]:
        """(first day, days) of each booked or given course, stored or imported so far."""
        return [
            (day, ref.days)
            for day, refs in self.courses.items()
            for ref in refs
            if ref.status in (CourseStatus.BOOKED, CourseStatus.GIVEN)
        ]

    def regimen_on(self, day: date) -> RegimenEntry | None:
        """The regimen current on `day`, as the booking service picks it."""
        facts = [
            RegimenFact(r.key, r.starts_on, r.dose_g_per_kg, r.interval_days) for r in self.regimens
        ]
        chosen = current_regimen(facts, day)
        if chosen is None:
            return None
        return next(r for r in self.regimens if r.key == chosen.id)


class Caseload:
    """Patients by MRN key (stored or imported; `rules.identity.mrn_key`), products and
    chairs, and live chair starts."""

    def __init__(self, session: Session) -> None:
        self._stand_ins = count(-1, -1)
        self.patients: dict[str, PatientEntry] = {}
        self._stored_ids = imports.stored_mrns(session)
        self.products = {p.code: p for p in every_product(session)}
        self.products_by_id = {p.id: p for p in self.products.values()}
        self.chairs = {c.code: c for c in every_chair(session)}
        self.chair_starts: dict[tuple[int, date, time], str] = {}
        self._starts_loaded = False

    def stand_in(self) -> int:
        """A negative key for a row not written (yet, or ever: a dry run)."""
        return next(self._stand_ins)

    def mrn_taken(self, mrn: str) -> str | None:
        """Why this MRN is taken (by a stored patient, or by an earlier row of the file), or
        None when it is free."""
        key = mrn_key(mrn)
        if key in self._stored_ids:
            return f"a patient with MRN {mrn} exists"
        if key in self.patients:
            earlier = self.patients[key].mrn  # as compared: case and punctuation aside
            written = "" if earlier == mrn else f" (as {earlier})"
            return f"MRN {mrn} is on an earlier row of this file{written}"
        return None

    def patient(self, session: Session, mrn: str) -> PatientEntry | None:
        """The patient with this MRN, with their stored rows read in on first use."""
        key = mrn_key(mrn)
        entry = self.patients.get(key)
        if entry is None and key in self._stored_ids:
            row = imports.stored_patient(session, self._stored_ids[key])
            if row is None:
                # The id was read from the patient table by this import's own session.
                raise LookupError(f"stored patient {self._stored_ids[key]} (MRN {mrn}) is missing")
            entry = PatientEntry(
                key=stored_id(row),
                mrn=row.mrn,
                birth_date=row.birth_date,
                sex=row.sex,
                height_cm=row.height_cm,
                status=row.status,
                min_interval_days=row.min_interval_days,
                max_interval_days=row.max_interval_days,
                stored=True,
            )
            self.patients[key] = entry
        if entry is not None and entry.stored and not entry.loaded:
            _load_stored(session, entry)
        return entry

    def live_chair_starts(self, session: Session) -> dict[tuple[int, date, time], str]:
        """(chair id, day, start) of every live booking: no two may share one."""
        if not self._starts_loaded:
            for chair_id, day, start in imports.live_chair_starts(session):
                self.chair_starts[(chair_id, day, start)] = "an existing booking"
            self._starts_loaded = True
        return self.chair_starts


def _load_stored(session: Session, entry: PatientEntry) -> None:
    for day, kg in imports.stored_weights(session, entry.key):
        entry.add_weight(day, kg)
    for r in imports.stored_regimens(session, entry.key):
        entry.regimens.append(
            RegimenEntry(
                stored_id(r), r.starts_on, r.dose_g_per_kg, r.interval_days, r.product_id, r.dose_g
            )
        )
    for course_id, day, status, days in imports.stored_courses(session, entry.key):
        entry.courses[day].append(CourseRef(course_id, status, days))
    entry.loaded = True
