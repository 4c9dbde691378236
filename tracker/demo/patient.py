"""One demo patient's rows: identity, weights, regimens, courses, lots, scores and reviews."""

from dataclasses import dataclass, field
from datetime import date, time
from random import Random
from zoneinfo import ZoneInfo

from tracker.demo import archetypes as arch
from tracker.demo.archetypes import RegSpec, Story, build_story
from tracker.demo.calendar import DAY, at, at_minutes, days, fit_day, fits, next_fit
from tracker.demo.names import make_identity
from tracker.demo.pharmacy import ChairBook, LotPool
from tracker.demo.schedule import Course, Timeline, simulate
from tracker.demo.scores import CourseInfo, Strength, clinic_scores, course_scores
from tracker.rules.dosing import (
    DoseCalculation,
    DosingError,
    VialPlan,
    calculate_dose,
    estimated_chair_minutes,
    vial_plan,
)
from tracker.rules.policy import SitePolicy
from tracker.rules.weights import latest_weight
from tracker.store.models import Infusion, Patient, Product, Regimen

PREMEDICATION = (
    "paracetamol 1 g",
    "paracetamol 1 g, cetirizine 10 mg",
    "paracetamol 1 g, hydrocortisone 100 mg IV",
)
REACTIONS = (
    "headache",
    "headache, paracetamol given",
    "mild rigors, rate reduced",
    "rash on forearms, cetirizine given",
    "nausea",
    "fatigue and headache the next day",
)
COURSE_NOTES = ("Cannula resited once", "Arrived 40 minutes late", "Rate kept low: patient tired")
BIG_DOSE_G = 120  # split over two days from here on


@dataclass
class Context:
    """Everything shared by the patients of one load."""

    rng: Random
    today: date
    zone: ZoneInfo
    policy: SitePolicy
    products: dict[str, Product]
    product_codes: list[str]
    product_weights: list[int]
    chairs: ChairBook
    lots: LotPool
    plans: dict[tuple[float, str], VialPlan] = field(default_factory=dict)

    def vial_plan(self, dose_g: float, product: Product) -> VialPlan:
        """The vial plan for a dose of a product (cached: the search is slow for big doses)."""
        key = (dose_g, product.code)
        if key not in self.plans:
            self.plans[key] = vial_plan(dose_g, product.vial_sizes)
        return self.plans[key]


@dataclass
class Roles:
    """What a patient's data must show besides the archetype."""

    booking: str = "in_window"  # in_window | outside | none | ahead | hold
    overdue: bool = False
    stale_weight: bool = False
    review_due: bool = False


@dataclass
class Bundle:
    """A patient's rows, linked by list index until the database hands out ids.

    Rows whose ids nothing here needs (lots, assessments, weights, reviews) are plain column
    dicts for a bulk insert: building tens of thousands of model objects is the slow part.
    """

    archetype: str
    patient: Patient
    regimens: list[Regimen] = field(default_factory=list)
    infusions: list[tuple[Infusion, int]] = field(default_factory=list)  # regimen index
    lots: list[tuple[dict, int]] = field(default_factory=list)  # infusion index
    assessments: list[tuple[dict, int | None]] = field(default_factory=list)
    weights: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    # A diary patient's link (when it was issued) and notes (selfcare), written with ids.
    diary_link: dict | None = None
    diary_notes: list[dict] = field(default_factory=list)


def build_patient(ctx: Context, number: int, archetype: str, roles: Roles) -> Bundle:
    """Draw one patient of an archetype and return their rows, not yet added to a session."""
    return _Builder(ctx, number, archetype, roles).build()


class _Builder:
    def __init__(self, ctx: Context, number: int, archetype: str, roles: Roles) -> None:
        self.ctx, self.rng, self.today = ctx, ctx.rng, ctx.today
        self.number, self.archetype, self.roles = number, archetype, roles
        self.ident = make_identity(ctx.rng, number=number, today=ctx.today)
        bmi = min(43.0, max(19.0, self.rng.gauss(27.5, 4.5)))
        self.start_weight = round(bmi * (self.ident.height_cm / 100) ** 2, 1)
        self.premedication = self.rng.choice(PREMEDICATION) if self.rng.random() < 0.3 else None
        self.keeps_slot = self.rng.random() < 0.6
        self.slot: tuple[int, int] | None = None
        self.weights: list[tuple[date, float]] = []

    def build(self) -> Bundle:
        ctx, rng, today = self.ctx, self.rng, self.today
        product = rng.choices(ctx.product_codes, weights=ctx.product_weights)[0]
        story = build_story(
            rng,
            self.archetype,
            today=today,
            product=product,
            product_names={code: ctx.products[code].name for code in ctx.product_codes},
            overdue=self.roles.overdue,
            review_due=self.roles.review_due,
        )
        for spec in story.regimens:
            if spec.kind != "induction":
                big = self._dose(spec, self.start_weight).dose_g >= BIG_DOSE_G
                spec.days_per_course = 2 if big else 1
        timeline = simulate(
            rng,
            story.regimens,
            story.first,
            story.until or today,
            disruptions=self.archetype not in (arch.NEW_START, arch.BOOKED_AHEAD),
            on_time_from=story.on_time_from,
        )
        self.weights = self._weights(story)
        strength = Strength(
            rng,
            sex=self.ident.sex,
            first=story.first,
            declines=story.declines,
            responds=story.responds,
        )
        bundle = Bundle(self.archetype, self._patient(story))
        bundle.weights = [
            {
                "measured_on": day,
                "weight_kg": kg,
                "recorded_by_id": None,
                "recorded_at": at(day, 9, 15, ctx.zone),
            }
            for day, kg in self.weights
        ]
        self._regimens(bundle, story, timeline)
        given = self._courses(bundle, story, timeline)
        self._bookings(bundle, story, timeline, given)
        self._scores(bundle, story, timeline, given, strength)
        self._reviews(bundle, story, timeline, given, strength)
        return bundle

    # --- people and weights -------------------------------------------------------------

    def _patient(self, story: Story) -> Patient:
        ident, zone = self.ident, self.ctx.zone
        created = at(story.referral, 10, 0, zone)
        return Patient(
            mrn=f"DEMO-{self.number:05d}",
            given_name=ident.given_name,
            family_name=ident.family_name,
            birth_date=ident.birth_date,
            sex=ident.sex,
            height_cm=ident.height_cm,
            email=ident.email,
            reminder_consent=ident.reminder_consent,
            diagnosis="MMN",
            status="on_hold" if self.archetype == arch.ON_HOLD else "active",
            is_demo=True,
            created_at=created,
            updated_at=created,
        )

    def _weights(self, story: Story) -> list[tuple[date, float]]:
        rng, today = self.rng, self.today
        # Weighed every 3 to 6 months with a slow drift; a stale patient not for > 180 days.
        stale = self.roles.stale_weight
        limit = today - days(rng.randint(190, 250)) if stale else today - DAY
        kg, day = self.start_weight, story.referral
        trend = rng.uniform(-0.4, 0.6)
        out = [(day, kg)]
        while True:
            day = fit_day(day + days(rng.randint(80, 170)))
            if day > limit:
                break
            kg = round(kg + trend + rng.gauss(0, 1.2), 1)
            out.append((day, kg))
        if self.archetype == arch.NEW_START and story.first > out[-1][0]:
            out.append((story.first, round(kg + rng.gauss(0, 0.6), 1)))
        return out

    def _weight_on(self, day: date) -> float:
        # The rules' weight for the day; before the first weighing, the first (the story's
        # referral weight, which the history starts from).
        found = latest_weight(self.weights, day)
        return self.weights[0][1] if found is None else found[1]

    def _dose(self, spec: RegSpec, weight_kg: float) -> DoseCalculation:
        return calculate_dose(
            sex=self.ident.sex,
            height_cm=self.ident.height_cm,
            weight_kg=weight_kg,
            dose_g_per_kg=spec.dose_g_per_kg,
            days_per_course=spec.days_per_course,
            basis="auto",
            policy=self.ctx.policy,
        )

    # --- regimens and courses -----------------------------------------------------------

    def _regimens(self, bundle: Bundle, story: Story, timeline: Timeline) -> None:
        zone = self.ctx.zone
        for spec, start in zip(story.regimens, timeline.starts, strict=True):
            kg = self._weight_on(min(start, self.today))
            calc = self._dose(spec, kg)
            if spec.kind == "induction":
                decided = at(story.referral, 11, 0, zone)
            elif spec.kind == "maintenance":
                decided = at(story.first, 16, 0, zone)  # planned on the first induction day
            else:
                decided = at(min(start, self.today - DAY), 7, 45, zone)
            bundle.regimens.append(
                Regimen(  # type: ignore[call-arg]  # patient_id: in _write
                    starts_on=start,
                    dose_g_per_kg=spec.dose_g_per_kg,
                    interval_days=spec.interval_days,
                    days_per_course=spec.days_per_course,
                    product_id=self.ctx.products[spec.product].id,
                    weight_basis="auto",
                    reason=spec.reason,
                    override_reason=spec.override_reason,
                    dosing_weight_kg=calc.dosing_weight_kg,
                    weight_basis_used=calc.weight_basis_used,
                    dose_g=calc.dose_g,
                    actual_weight_kg=kg,
                    weight_note=calc.note,
                    created_at=decided,
                )
            )

    def _courses(self, bundle: Bundle, story: Story, timeline: Timeline) -> list[int]:
        """Write the past courses; return the infusion index of each given one, in order."""
        rng, zone = self.rng, self.ctx.zone
        given: list[int] = []
        booked_on = story.referral
        for course in timeline.courses:
            spec = story.regimens[course.regimen]
            infusion, plan = self._infusion(course.day, spec, course.status, booked_on)
            if course.status == "given":
                induction = spec.kind == "induction"
                if rng.random() < (0.1 if induction else 0.04):
                    infusion.reactions = rng.choice(REACTIONS)
                if rng.random() < 0.03:
                    infusion.notes = rng.choice(COURSE_NOTES)
                infusion.premedication = self.premedication
                given.append(len(bundle.infusions))
                for number, count, size, expires in self.ctx.lots.course_lots(
                    rng, spec.product, plan, course.day
                ):
                    bundle.lots.append(
                        (
                            {
                                "lot_number": number,
                                "vials": count,
                                "size_g": size,
                                "expires_on": expires,
                            },
                            len(bundle.infusions),
                        )
                    )
            elif course.status == "cancelled":
                cancelled_on = max(booked_on, course.day - days(rng.randint(1, 3)))
                infusion.cancel_reason = course.note
                infusion.cancelled_at = infusion.updated_at = at(cancelled_on, 9, 30, zone)
            else:
                infusion.notes = course.note
                infusion.updated_at = at(course.day, 17, 0, zone)
            bundle.infusions.append((infusion, course.regimen))
            booked_on = course.day
        return given

    def _infusion(
        self, day: date, spec: RegSpec, status: str, booked_on: date
    ) -> tuple[Infusion, VialPlan]:
        ctx, zone = self.ctx, self.ctx.zone
        weight = self._weight_on(min(day, self.today))
        calc = self._dose(spec, weight)
        product = ctx.products[spec.product]
        minutes = _chair_minutes(calc, weight, product)
        chair, start = ctx.chairs.place(self.rng, day, spec.days_per_course, minutes, self.slot)
        if self.keeps_slot and self.slot is None and chair is not None:
            self.slot = (chair, start)  # the patient's usual chair and time
        created = at(booked_on, 15, 30, zone)
        infusion = Infusion(  # type: ignore[call-arg]  # patient_id: set in _write
            scheduled_on=day,
            start_time=time(start // 60, start % 60),
            chair_id=chair,
            days=spec.days_per_course,
            chair_minutes=minutes,
            status=status,
            dose_g=calc.dose_g,
            product_id=product.id,
            created_at=created,
            updated_at=created,
        )
        if status == "given":
            infusion.given_at = infusion.updated_at = at_minutes(day, start + minutes, zone)
        return infusion, ctx.vial_plan(calc.dose_g, product)

    def _bookings(self, bundle: Bundle, story: Story, timeline: Timeline, given: list[int]) -> None:
        rng, today, zone = self.rng, self.today, self.ctx.zone
        booking = self.roles.booking
        days_given = [bundle.infusions[i][0].scheduled_on for i in given]
        last = days_given[-1] if days_given else story.referral
        current = max(i for i, s in enumerate(timeline.starts) if s <= max(today, story.first))
        spec = story.regimens[current]
        due = last + days(spec.interval_days)

        def book(day: date, status: str = "booked") -> Infusion:
            index = max(i for i, s in enumerate(timeline.starts) if s <= day)
            infusion, _ = self._infusion(day, story.regimens[index], status, last)
            bundle.infusions.append((infusion, index))
            return infusion

        if booking == "ahead":
            book(timeline.next_day)
        elif booking == "hold":
            cancelled_on = max(last, min(timeline.next_day, today) - days(rng.randint(1, 3)))
            infusion = book(timeline.next_day, "cancelled")
            infusion.cancel_reason = f"Treatment on hold: {story.hold_reason}"
            infusion.cancelled_at = infusion.updated_at = at(cancelled_on, 11, 0, zone)
            bundle.patient.updated_at = infusion.cancelled_at
        elif self.roles.overdue:
            missed_on = fit_day(due, spec.days_per_course)
            if missed_on < today:  # did not attend, and nobody has rebooked yet
                infusion = book(missed_on, "missed")
                infusion.notes = "Did not attend"
                infusion.updated_at = at(missed_on, 17, 0, zone)
        elif booking in ("in_window", "outside") and days_given:
            length = spec.days_per_course
            start = max(due - days(3), last + days(14))
            end = min(due + days(3), last + days(42))
            if booking == "outside":  # the first free chair was after the window
                day = next_fit(max(end + days(rng.randint(2, 6)), today + DAY), length)
            else:
                choices = [start + days(k) for k in range((end - start).days + 1)]
                choices = [d for d in choices if d >= today and fits(d, length)]
                near = sorted(choices, key=lambda d: (abs((d - due).days), d))
                if timeline.next_day in choices:
                    day = timeline.next_day
                else:
                    day = near[0] if near else next_fit(max(start, today), length)
            book(day)
            if booking == "in_window" and rng.random() < 0.4:
                book(fit_day(day + days(spec.interval_days), length, not_before=day + days(14)))

    # --- scores and reviews -------------------------------------------------------------

    def _scores(
        self, bundle: Bundle, story: Story, timeline: Timeline, given: list[int], strength: Strength
    ) -> None:
        courses = [c for c in timeline.courses if c.status == "given"]
        remaining: dict[int, int] = {}
        infos = []
        for j in range(len(courses) - 1, -1, -1):
            course = courses[j]
            spec = story.regimens[course.regimen]
            after = remaining.get(course.regimen, 0)
            remaining[course.regimen] = after + 1
            infos.append(
                self._course_info(
                    course,
                    spec,
                    courses[j + 1] if j + 1 < len(courses) else None,
                    after,
                    story,
                    bundle,
                    given[j],
                )
            )
        infos.reverse()
        scores = course_scores(self.rng, strength, infos, self.today)
        visits = [d for d, _ in self.weights[1:] if d < self.today]
        scores += clinic_scores(self.rng, strength, story.referral, visits)
        scores.sort(key=lambda s: (s.taken_on, s.minutes, s.measure, s.side or ""))
        zone = self.ctx.zone
        for s in scores:
            bundle.assessments.append(
                (
                    {
                        "taken_on": s.taken_on,
                        "measure": s.measure,
                        "side": s.side,
                        "value": s.value,
                        "timing": s.timing,
                        "recorded_by_id": None,
                        "recorded_at": at_minutes(s.taken_on, s.minutes, zone),
                    },
                    None if s.course is None else given[s.course],
                )
            )

    def _course_info(
        self,
        course: Course,
        spec: RegSpec,
        following: Course | None,
        after: int,
        story: Story,
        bundle: Bundle,
        infusion_index: int,
    ) -> CourseInfo:
        if spec.tag != "stable":
            tag = spec.tag
        elif spec.kind == "induction":
            tag = "induction"
        else:
            tag = "wear" if after < spec.wear_last else "stable"
        start = bundle.infusions[infusion_index][0].start_time
        assert start is not None  # every demo course is booked at a time
        complete = story.complete_from is not None and course.day >= story.complete_from
        return CourseInfo(
            day=course.day,
            length=spec.days_per_course,
            end=following.day if following else course.day + days(spec.interval_days),
            completed=following is not None,
            tag=tag,
            wear_day=spec.wear_day if tag == "wear" else None,
            complete=complete,
            start_minutes=start.hour * 60 + start.minute,
        )

    def _reviews(
        self, bundle: Bundle, story: Story, timeline: Timeline, given: list[int], strength: Strength
    ) -> None:
        if not given:
            return
        rng, today = self.rng, self.today
        first = bundle.infusions[given[0]][0].scheduled_on
        starts = timeline.starts

        def regimen_on(day: date) -> RegSpec:
            return story.regimens[max(i for i, s in enumerate(starts) if s <= day)]

        def annual(day: date) -> tuple[date, str, str]:
            r = regimen_on(day)
            return (
                day,
                "continue",
                f"Annual review: stable on {r.dose_g_per_kg:g} g/kg every "
                f"{r.interval_days} days; no serious adverse events. Continue.",
            )

        base = [
            (s, "change", spec.reason)
            for spec, s in zip(story.regimens, starts, strict=True)
            if spec.kind == "change" and s < today
        ]
        six = fit_day(first + days(rng.randint(176, 189)))
        if six < today and all(abs((d - six).days) > 45 for d, _, _ in base):
            r = regimen_on(six)
            base.append(
                (
                    six,
                    "continue",
                    (
                        f"6-month review: clear response, {strength.weak_side} grip "
                        f"{strength.base['weak']} -> {strength.plateau['weak']} kPa. Continue "
                        f"{r.dose_g_per_kg:g} g/kg every {r.interval_days} days."
                    ),
                )
            )
        base.sort()
        out: list[tuple[date, str, str]] = []
        prev: date | None = None
        for item in base:
            while prev is not None and (item[0] - prev).days > 340:
                prev = fit_day(prev + days(rng.randint(290, 330)))
                out.append(annual(prev))
            out.append(item)
            prev = item[0]
        if prev is not None and self.roles.review_due:
            # The last review 336+ days ago: due within the 30-day warning of 365 days.
            last = today - days(340)
            while (last - prev).days > 340:
                prev = fit_day(prev + days(rng.randint(290, 330)))
                out.append(annual(prev))
            if (last - prev).days > 40:
                out.append(annual(fit_day(last - days(rng.randint(0, 20)))))
        elif prev is not None:
            while (today - prev).days > 320:
                prev = fit_day(prev + days(rng.randint(290, 320)))
                out.append(annual(prev))
        for day, outcome, notes in out:
            bundle.reviews.append(
                {
                    "reviewed_on": day,
                    "outcome": outcome,
                    "notes": notes,
                    "reviewed_by_id": None,
                    "created_at": at(day, 16, 30, self.ctx.zone),
                }
            )


def _chair_minutes(calc: DoseCalculation, weight_kg: float, product: Product) -> int:
    # Label rates are mg/kg/min; mL/kg/min = mg/kg/min / (10 x concentration %).
    per_ml = 10 * product.concentration_percent
    try:
        return estimated_chair_minutes(
            dose_g=calc.dose_g_per_day,
            weight_kg=weight_kg,
            concentration_percent=product.concentration_percent,
            max_rate_ml_per_kg_per_min=product.max_rate_mg_per_kg_per_min / per_ml,
            start_rate_ml_per_kg_per_min=product.start_rate_mg_per_kg_per_min / per_ml,
        )
    except DosingError:
        return 240
