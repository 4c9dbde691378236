"""The demo's patient archetypes: how many of each, and the treatment story each one lives.

A story is a list of regimens with the day each change was decided (the course simulation
moves it to the first course on or after that day), plus the strength declines behind the
dose increases. The numbers are chosen against sections 5, 6 and 11 of the clinical rules, so
that the rules flag each archetype as intended; see the comments at each archetype.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from random import Random

from tracker.demo.calendar import days, fit_day, next_fit

STABLE = "stable"  # responds, no wear-off; regimen changed < 180 days ago, so no taper yet
WEAR_OFF = "wear_off"  # end-of-dose wear-off in every cycle of the current regimen
PROGRESSIVE = "progressive"  # troughs drift down by more than the MCID over the last year
DOSE_CAP = "dose_cap"  # progressive, but already at 2.4 g/kg per 28 days (so refractory too)
NEW_START = "new_start"  # induction 5 to 8 weeks ago, first maintenance courses since
BOOKED_AHEAD = "booked_ahead"  # first regimen starts in the coming days, induction booked
ON_HOLD = "on_hold"  # treatment on hold
LONG_STABLE = "long_stable"  # unchanged > 6 months with >= 4 stable cycles: taper candidate
NO_RESPONSE = "no_response"  # a 4-weekly IVIG trial of 4-5 courses that brought no benefit
REFRACTORY = "refractory"  # end-of-dose wear-off on 2 g/kg every 21 days, above the cap
ARCHETYPES = (
    STABLE,
    WEAR_OFF,
    PROGRESSIVE,
    DOSE_CAP,
    NEW_START,
    BOOKED_AHEAD,
    ON_HOLD,
    LONG_STABLE,
    NO_RESPONSE,
    REFRACTORY,
)
# The order in which archetypes are kept when a cohort is too small to hold all of them.
_PRIORITY = (
    STABLE,
    WEAR_OFF,
    PROGRESSIVE,
    DOSE_CAP,
    NEW_START,
    ON_HOLD,
    LONG_STABLE,
    NO_RESPONSE,
    BOOKED_AHEAD,
    REFRACTORY,
)

MAX_INTENSITY = 2.4  # g/kg per 28 days (the site policy's default cap)
LABEL_MIN_INTENSITY = 0.5  # g/kg per 28 days: a taper below it is a trial off instead
MIN_INTERVAL, MAX_INTERVAL = 14, 42
MIN_DOSE, MAX_DOSE = 0.4, 2.0  # g/kg per course, the range seen in maintenance
# Maintenance after induction: (g/kg, interval days, weight). Mostly 1 g/kg every 3-4 weeks.
_MAINTENANCE = (
    (1.0, 28, 6),
    (1.0, 21, 4),
    (0.8, 21, 1),
    (1.2, 28, 1),
    (2.0, 35, 1),
    (2.0, 42, 1),
    (0.5, 14, 1),
)
RECOVERY_DAYS = 60  # after a dose increase, strength comes back over about two months


def archetype_counts(patients: int) -> dict[str, int]:
    """How many patients of each archetype a cohort of this size holds (each >= 1 from 10 on;
    exactly one dose-cap, booked-ahead, on-hold, no-response and refractory patient)."""
    if patients < len(ARCHETYPES):
        kept = _PRIORITY[:patients]
        return {a: int(a in kept) for a in ARCHETYPES}
    counts = {
        WEAR_OFF: max(1, int(0.2 * patients + 0.5)),
        PROGRESSIVE: max(1, int(0.15 * patients)),
        DOSE_CAP: 1,
        NEW_START: max(1, int(0.075 * patients + 0.5)),
        BOOKED_AHEAD: 1,
        ON_HOLD: 1,
        LONG_STABLE: max(1, int(0.05 * patients + 0.5)),
        NO_RESPONSE: 1,
        REFRACTORY: 1,
    }
    if patients - sum(counts.values()) < 1:  # keep a stable patient: take a wear-off one
        counts[WEAR_OFF] -= 1
    return {STABLE: patients - sum(counts.values()), **counts}


@dataclass
class RegSpec:
    """A regimen as the story prescribes it; `target` is the day the change was decided."""

    target: date
    dose_g_per_kg: float
    interval_days: int
    product: str
    reason: str
    kind: str = "change"  # induction | maintenance | change (at a review) | product
    days_per_course: int = 1
    tag: str = "stable"  # how its cycles respond: stable | wear | decline | none
    wear_last: int = 0  # its last N cycles wore off (which led to the next regimen)
    wear_day: int | None = None  # the cycle day on which the patient felt it wear off
    override_reason: str | None = None  # why a regimen above the cap was prescribed


@dataclass(frozen=True)
class Decline:
    """Strength lost between `start` and `end` (kPa weaker/stronger grip, MRC sum points)."""

    start: date
    end: date
    weak: float
    strong: float
    mrc: float
    recover: float = 0.0  # share regained over RECOVERY_DAYS after `end` (a dose increase)
    ease_out: bool = False  # lose most of it early, so the last troughs sit near the bottom

    def loss(self, series: str, day: date) -> float:
        """How much of `series` ("weak", "strong" or "mrc") is lost on `day`."""
        amount = {"weak": self.weak, "strong": self.strong, "mrc": self.mrc}[series]
        return amount * self.share(day)

    def share(self, day: date) -> float:
        """The share of the decline reached on `day` (0 before, 1 at the end)."""
        if day <= self.start:
            return 0.0
        if day < self.end:
            t = (day - self.start).days / (self.end - self.start).days
            return 1 - (1 - t) ** 2 if self.ease_out else t
        regained = self.recover * min(1.0, (day - self.end).days / RECOVERY_DAYS)
        return 1 - regained


@dataclass
class Story:
    """One patient's treatment history as planned, before the days are drawn."""

    archetype: str
    referral: date
    first: date  # the first course (induction)
    regimens: list[RegSpec]
    declines: list[Decline] = field(default_factory=list)
    until: date | None = None  # courses before this day happened (default: today)
    hold_reason: str | None = None
    complete_from: date | None = None  # record every score from here (flags rest on them)
    responds: bool = True  # False: IVIG brings no benefit (strength stays at its baseline)
    on_time_from: date | None = None  # courses on time from here (the flags' cycles)


def within_cap(dose: float, interval: int) -> bool:
    """True when the regimen stays within the intensity cap."""
    return dose * 28 / interval <= MAX_INTENSITY + 1e-9


def below_cap(spec: RegSpec) -> bool:
    """True when the regimen leaves room to escalate (its intensity is under the cap)."""
    return spec.dose_g_per_kg * 28 / spec.interval_days < MAX_INTENSITY - 0.01


def taper_room(spec: RegSpec) -> bool:
    """True when the rules' taper of this regimen is a taper, not a trial off (section 6.3):
    the interval can still grow by a week, or 75% of the dose (rounded half up to 2
    decimals, as the rules do) stays at or above the label's lowest intensity."""
    if spec.interval_days + 7 <= MAX_INTERVAL:
        return True
    lower = int(spec.dose_g_per_kg * 75 + 0.5 + 1e-9) / 100
    return lower * 28 / spec.interval_days >= LABEL_MIN_INTENSITY - 1e-9


def build_story(
    rng: Random,
    archetype: str,
    *,
    today: date,
    product: str,
    product_names: dict[str, str],
    overdue: bool = False,
    review_due: bool = False,
) -> Story:
    """Draw the treatment story of one patient of an archetype."""
    return _Builder(rng, today, product_names).story(archetype, product, overdue, review_due)


class _Builder:
    def __init__(self, rng: Random, today: date, product_names: dict[str, str]) -> None:
        self.rng = rng
        self.today = today
        self.names = product_names
        self.regs: list[RegSpec] = []
        self.declines: list[Decline] = []

    def ago(self, low: int, high: int) -> date:
        return self.today - days(self.rng.randint(low, high))

    def story(self, archetype: str, product: str, overdue: bool, review_due: bool) -> Story:
        rng, today = self.rng, self.today
        if archetype == BOOKED_AHEAD:
            length = rng.randint(2, 5)
            first = next_fit(today + days(rng.randint(4, 12)), length)
            self.regs = [self.induction(first, product, length)]
            return Story(archetype, self.ago(7, 28), first, self.regs)
        if archetype == NEW_START:
            # Induction 5 to 8 weeks ago: at most two maintenance courses given since, so at
            # most one completed cycle of the current regimen and no waning or taper flag.
            length = rng.randint(2, 5)
            first = fit_day(self.ago(35, 56), length)
            self.regs = [self.induction(first, product, length)]
            dose, interval = rng.choice(((1.0, 28), (1.0, 21), (1.0, 28), (0.8, 21), (1.2, 28)))
            self.maintenance(first, dose, interval)
            return Story(archetype, first - days(rng.randint(10, 30)), first, self.regs)
        if archetype == DOSE_CAP:
            return self.dose_cap(product)
        if archetype == NO_RESPONSE:
            return self.no_response(product)
        if archetype == REFRACTORY:
            return self.refractory(product)

        first = self.established(product, archetype)
        story = Story(archetype, first - days(rng.randint(14, 45)), first, self.regs)
        # A long-stable patient's regimens keep room for a taper (not a trial off), so that
        # the rules' answer is consider_taper whichever change comes last.
        self.history(
            first + days(200),
            today - days(450),
            archetype,
            keep=taper_room if archetype == LONG_STABLE else None,
        )
        if archetype in (STABLE, ON_HOLD):
            # Last change 2 to 5 months ago: under 180 days, so no taper suggestion yet (on
            # hold: any time, no flags). An overdue patient's change sits before the cut-off.
            if archetype == ON_HOLD:
                target = self.ago(90, 300)
            else:
                target = self.ago(110, 150) if overdue else self.ago(60, 150)
            options = ["lengthen", "taper", "product"]
            self.final(target, ["product"] if review_due else _shuffled(rng, options))
        elif archetype == LONG_STABLE:
            # Unchanged for >= 240 days (the start can move up to 45 days later: still >= 180).
            target = self.ago(390, 420) if review_due else self.ago(240, 330)
            self.final(target, _shuffled(rng, ["lengthen", "product", "taper"]), keep=taper_room)
        elif archetype == WEAR_OFF:
            # Late enough for three courses under the current regimen: two completed cycles.
            # Below the cap, so that the rules shorten or escalate (at it: refractory).
            longest = self.regs[-1].interval_days + 7
            target = self.ago(3 * longest + 15, 3 * longest + 50)
            spec = self.final(
                target, _shuffled(rng, ["lengthen", "taper", "product"]), keep=below_cap
            )
            spec.tag = "wear"
            spec.wear_day = max(7, spec.interval_days - rng.randint(7, 11))
        elif archetype == PROGRESSIVE:
            target = self.ago(250, 320)
            spec = self.final(
                target,
                _shuffled(rng, ["lengthen", "product", "shorten"]),
                min_interval=21,
                keep=below_cap,
            )
            spec.tag = "decline"
            self.current_decline(target)
        if archetype in (WEAR_OFF, PROGRESSIVE, LONG_STABLE):
            story.complete_from = self.regs[-1].target - days(400)
            # A late cycle is not evaluated: the current regimen's are all on time.
            story.on_time_from = self.regs[-1].target
        if overdue:
            # The last course so long ago that its window closed at least 4 days before today.
            story.until = today - days(3 + self.regs[-1].interval_days)
        if archetype == ON_HOLD:
            story.until = self.ago(5, 25)
            story.hold_reason = rng.choice(
                (
                    "planned trial off IVIG after a long stable period",
                    "admitted for hip replacement; restart after discharge",
                    "travelling abroad for three months",
                    "patient request: wants a break to reassess benefit",
                )
            )
        story.declines = self.declines
        return story

    # --- the pieces of a story ----------------------------------------------------------

    def induction(self, first: date, product: str, length: int) -> RegSpec:
        why = self.rng.choice(
            (
                "",
                " (conduction block in ulnar and median nerves)",
                " (anti-GM1 IgM positive)",
                " (MMN confirmed at the neuromuscular clinic)",
            )
        )
        # 28 days to the first maintenance course keeps 2 g/kg within 2.4 g/kg per 28 days.
        return RegSpec(
            first,
            2.0,
            28,
            product,
            f"Induction: 2 g/kg over {length} days{why}",
            kind="induction",
            days_per_course=length,
        )

    def maintenance(self, first: date, dose: float, interval: int) -> None:
        self.regs.append(
            RegSpec(
                first + days(1),
                dose,
                interval,
                self.regs[-1].product,
                f"Maintenance after induction: {dose:g} g/kg every {interval} days",
                kind="maintenance",
            )
        )

    def established(self, product: str, archetype: str) -> date:
        rng = self.rng
        length = rng.randint(2, 5)
        first = fit_day(self.ago(880, 1250), length)
        self.regs = [self.induction(first, product, length)]
        choices = [c for c in _MAINTENANCE if archetype != PROGRESSIVE or c[1] >= 21]
        dose, interval, _ = rng.choices(choices, weights=[c[2] for c in choices])[0]
        self.maintenance(first, dose, interval)
        return first

    def history(
        self, start: date, end: date, archetype: str, keep: Callable[[RegSpec], bool] | None = None
    ) -> None:
        """Zero to two older changes, all > 450 days ago (outside the flags' look-back)."""
        rng = self.rng
        count = rng.choice((0, 1, 1, 2))
        span = (end - start).days
        if count == 0 or span < 150:
            return
        step = span // count
        for k in range(count):
            target = start + days(k * step + rng.randint(0, max(0, step - 90)))
            kinds = ["shorten", "escalate", "lengthen", "product", "taper"]
            self.change(
                target,
                _shuffled(rng, kinds),
                min_interval=21 if archetype == PROGRESSIVE else MIN_INTERVAL,
                keep=keep,
            )

    def final(
        self,
        target: date,
        options: list[str],
        *,
        min_interval: int = MIN_INTERVAL,
        keep: Callable[[RegSpec], bool] | None = None,
    ) -> RegSpec:
        fallbacks = [o for o in ("product", "lengthen", "taper") if o not in options]
        spec = self.change(target, options + fallbacks, min_interval=min_interval, keep=keep)
        if spec is None:  # one product and nothing else possible: a plain continuation
            last = self.regs[-1]
            spec = RegSpec(
                target,
                last.dose_g_per_kg,
                last.interval_days,
                last.product,
                "Reviewed: regimen confirmed",
                kind="change",
            )
            self.regs.append(spec)
        return spec

    def change(
        self,
        target: date,
        options: list[str],
        *,
        min_interval: int = MIN_INTERVAL,
        keep: Callable[[RegSpec], bool] | None = None,
    ) -> RegSpec | None:
        for option in options:
            spec = getattr(self, f"_{option}")(target, min_interval)
            if spec is None:
                continue
            # E.g. a progressive patient must still have room to escalate (below the cap).
            if keep is not None and not keep(spec):
                continue
            self._commit(option, spec, target)
            self.regs.append(spec)
            return spec
        return None

    def _commit(self, option: str, spec: RegSpec, target: date) -> None:
        rng = self.rng
        if option == "shorten":
            previous = self.regs[-1]
            previous.wear_last = 3
            previous.wear_day = spec.wear_day
            spec.wear_day = None
        elif option == "escalate":
            self.declines.append(
                Decline(
                    target - days(rng.randint(120, 170)),
                    target,
                    rng.randint(7, 10),
                    rng.randint(0, 3),
                    rng.choice((0, 1, 2)),
                    recover=0.6,
                )
            )

    def _months(self, target: date) -> int:
        return max(6, min(24, round((target - self.regs[-1].target).days / 30.4)))

    def _like(self, target: date, reason: str, **changes) -> RegSpec:
        last = self.regs[-1]
        spec = RegSpec(target, last.dose_g_per_kg, last.interval_days, last.product, reason)
        for key, value in changes.items():
            setattr(spec, key, value)
        return spec

    def _lengthen(self, target: date, _min: int) -> RegSpec | None:
        old = self.regs[-1].interval_days
        if old + 7 > MAX_INTERVAL:
            return None
        return self._like(
            target,
            f"Stable {self._months(target)} months: interval lengthened "
            f"from {old} to {old + 7} days",
            interval_days=old + 7,
        )

    def _shorten(self, target: date, min_interval: int) -> RegSpec | None:
        last = self.regs[-1]
        new = last.interval_days - 7
        if new < min_interval or not within_cap(last.dose_g_per_kg, new):
            return None
        day = max(7, last.interval_days - self.rng.randint(7, 10))
        return self._like(
            target,
            f"Wear-off from day {day}: interval shortened from {last.interval_days} to {new} days",
            interval_days=new,
            wear_day=day,
        )

    def _escalate(self, target: date, _min: int) -> RegSpec | None:
        last = self.regs[-1]
        new = round(last.dose_g_per_kg * 1.25, 2)
        if new > MAX_DOSE or not within_cap(new, last.interval_days):
            return None
        what = self.rng.choice(("grip", "grip", "grip and MRC sum"))
        return self._like(
            target,
            f"Progressive decline in {what}: dose increased 25% to {new:g} g/kg",
            dose_g_per_kg=new,
        )

    def _taper(self, target: date, _min: int) -> RegSpec | None:
        last = self.regs[-1]
        new = round(last.dose_g_per_kg * 0.75, 2)
        if new < MIN_DOSE:
            return None
        return self._like(
            target,
            f"Stable {self._months(target)} months: dose reduced 25% to {new:g} g/kg (taper trial)",
            dose_g_per_kg=new,
        )

    def _product(self, target: date, _min: int) -> RegSpec | None:
        old = self.regs[-1].product
        others = [code for code in self.names if code != old]
        if not others:
            return None
        new = self.rng.choice(others)
        why = self.rng.choice(
            (
                "formulary switch",
                f"supply shortage of {self.names[old]}",
                f"recurrent headaches with {self.names[old]}",
            )
        )
        return self._like(
            target, f"Product changed to {self.names[new]}: {why}", product=new, kind="product"
        )

    def current_decline(self, target: date) -> None:
        # Troughs flat for the first 75-95 days of the regimen (the start may move up to 45
        # days after the target, so at least one trough sits at the old level), then a loss
        # of 15-19 kPa (grip) and/or 3-4 MRC points, mostly early: the last two troughs are
        # both >= 96% of the way down, i.e. >= 14.4 kPa / 2.9 points under the reference,
        # minus noise (trough +-2 kPa, MRC 0/+1) and rounding: still >= the MCID (8, 2).
        rng = self.rng
        kind = rng.choice(("grip", "grip", "mrc", "both"))
        weak = rng.randint(15, 19) if kind != "mrc" else rng.randint(3, 6)
        mrc = rng.choice((3, 4)) if kind != "grip" else rng.choice((0, 1))
        self.declines.append(
            Decline(
                target + days(rng.randint(75, 95)),
                self.today,
                weak,
                rng.randint(0, 3),
                mrc,
                ease_out=True,
            )
        )

    def dose_cap(self, product: str) -> Story:
        # 1 g/kg every 28 days; wear-off -> every 21; two 25% escalations (1.25, 1.56); then
        # 1.8 g/kg every 21 days = 2.4 g/kg per 28 days exactly, the cap. Strength declines
        # again under it, so the rules find progressive waning with no room: max_dose_reached.
        rng, today = self.rng, self.today
        length = rng.randint(2, 5)
        first = fit_day(self.ago(1100, 1250), length)
        self.regs = [self.induction(first, product, length)]
        self.maintenance(first, 1.0, 28)
        self.change(first + days(rng.randint(180, 260)), ["shorten"])
        self.change(self.ago(680, 760), ["escalate"])
        self.change(self.ago(470, 540), ["escalate"])
        target = self.ago(250, 320)
        self.declines.append(
            Decline(
                target - days(rng.randint(120, 160)),
                target,
                rng.randint(7, 10),
                rng.randint(0, 3),
                1,
                recover=0.6,
            )
        )
        last = self.regs[-1]
        self.regs.append(
            RegSpec(
                target,
                1.8,
                last.interval_days,
                last.product,
                f"Progressive decline in grip and MRC sum: dose increased to 1.8 g/kg, the most "
                f"the 2.4 g/kg per 28 days cap allows every {last.interval_days} days",
                tag="decline",
            )
        )
        # After the 60-day recovery from the previous decline, a new one of 15-19 kPa.
        self.declines.append(
            Decline(
                target + days(rng.randint(80, 100)),
                today,
                rng.randint(15, 19),
                rng.randint(2, 5),
                rng.choice((3, 4)),
                ease_out=True,
            )
        )
        return Story(
            DOSE_CAP,
            first - days(rng.randint(14, 45)),
            first,
            self.regs,
            self.declines,
            complete_from=target - days(400),
            on_time_from=target,
        )

    def no_response(self, product: str) -> Story:
        # A trial of 2 g/kg every 4 weeks, the first course 110 to 140 days ago: 4 or 5
        # courses given (3 even if two cycles ran late), all under this first regimen, and
        # no review due yet (that comes 152 days after the first course). Baseline scores at
        # referral and before the first course; strength never moves from them (see
        # scores.py: at most 5 kPa and 1 MRC point above the baseline, under the MCID), so
        # the rules raise no_response; nothing wears off or declines, so no waning.
        rng = self.rng
        length = rng.randint(2, 5)
        first = fit_day(self.ago(110, 140), length)
        why = rng.choice(
            (
                "conduction block in the ulnar nerve, anti-GM1 negative",
                "probable MMN: conduction block in two nerves",
                "pure motor asymmetric weakness, anti-GM1 IgM positive",
            )
        )
        self.regs = [
            RegSpec(
                first,
                2.0,
                28,
                product,
                f"IVIG trial: 2 g/kg over {length} days every 4 weeks, response to be assessed "
                f"after three courses ({why})",
                kind="induction",
                days_per_course=length,
                tag="none",
            )
        ]
        return Story(
            NO_RESPONSE,
            first - days(rng.randint(14, 45)),
            first,
            self.regs,
            complete_from=first,
            responds=False,
        )

    def refractory(self, product: str) -> Story:
        # The tracker's own steps for end-of-dose wear-off, a year or so apart: 1 g/kg every
        # 28 days -> every 21; a decline -> 1.25 g/kg; wear-off (14 days would break the cap)
        # -> 1.56 g/kg; wear-off -> 1.8 g/kg, the cap's most every 21 days; wear-off even at
        # the cap -> the neurologist prescribes 2 g/kg every 21 days (2.67 g/kg per 28 days)
        # with an override reason, 130 to 170 days ago: 5 or more completed cycles since,
        # every one wearing off. The rules find end-of-dose waning above the cap: refractory,
        # and max_dose_reached.
        rng = self.rng
        length = rng.randint(2, 5)
        first = fit_day(self.ago(1150, 1300), length)
        self.regs = [self.induction(first, product, length)]
        self.maintenance(first, 1.0, 28)
        self.change(first + days(rng.randint(180, 260)), ["shorten"])
        self.change(self.ago(720, 800), ["escalate"])
        for target, dose in ((self.ago(520, 580), 1.56), (self.ago(330, 380), 1.8)):
            last = self.regs[-1]
            last.wear_last = 3
            last.wear_day = last.interval_days - rng.randint(7, 9)
            why = (
                f"the most the 2.4 g/kg per 28 days cap allows every {last.interval_days} days"
                if dose == 1.8
                else f"as every {last.interval_days - 7} days would break the cap"
            )
            self.regs.append(
                RegSpec(
                    target,
                    dose,
                    last.interval_days,
                    last.product,
                    f"Wear-off from day {last.wear_day}: dose increased to {dose:g} g/kg, {why}",
                )
            )
        at_cap = self.regs[-1]
        at_cap.wear_last = 3
        at_cap.wear_day = at_cap.interval_days - rng.randint(7, 9)
        self.regs.append(
            RegSpec(
                self.ago(130, 170),
                2.0,
                at_cap.interval_days,
                at_cap.product,
                f"Wear-off from day {at_cap.wear_day} despite 1.8 g/kg every "
                f"{at_cap.interval_days} days: dose increased to 2 g/kg, above the cap",
                tag="wear",
                wear_day=at_cap.interval_days - rng.randint(7, 10),
                override_reason=rng.choice(
                    (
                        "Refractory MMN: end-of-dose weakness at the cap; higher dose agreed with "
                        "the patient after discussion at the neuromuscular MDT",
                        "Wear-off persists at 2.4 g/kg per 28 days; renal function and haemoglobin "
                        "checked before each course; other treatments considered and declined",
                    )
                ),
            )
        )
        return Story(
            REFRACTORY,
            first - days(rng.randint(14, 45)),
            first,
            self.regs,
            self.declines,
            complete_from=self.regs[-1].target - days(400),
            on_time_from=self.regs[-1].target,
        )


def _shuffled(rng: Random, items: list[str]) -> list[str]:
    items = list(items)
    rng.shuffle(items)
    return items
