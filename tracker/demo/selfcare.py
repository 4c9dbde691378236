"""The demo's self-care (clinical rules 9 and 10): patients converted to weekly SCIG that they
infuse themselves, and patients who keep a diary of grip readings at home.

An SC patient was stable on IVIG and converted some months before the evaluation day with the
converter of section 9: their IV courses from the SC start on are replaced by weekly courses
given at home by themselves (site `self`, with a lot each), the next one booked; they record a
grip on both hands now and then through their diary link, steady from week to week.

A diary patient stays on IVIG and, for the last few cycles, measures grip at home with a
dynamometer a few days after each course (the peak) and in the days just before the next one
(the trough). One of them, the first chosen, loses strength at the end of each cycle in the
weaker hand by more than the MCID, so that their home readings alone raise an end-of-dose
waning flag (the clinic's own scores of a stable patient show none).

The draws use their own random stream, so that the rest of the cohort is the same with or
without them.
"""

import secrets
from collections.abc import Sequence
from datetime import date, time, timedelta
from random import Random

from tracker.demo import archetypes as arch
from tracker.demo.calendar import at, days
from tracker.demo.patient import Bundle, Context, Roles
from tracker.rules.subcutaneous import convert_to_sc
from tracker.rules.vocabulary import CareSite, CourseStatus, MeasureCode, Route, Source, Timing
from tracker.services.diary import token_digest
from tracker.store.models import Infusion, Regimen

# Stable patients only: the long-stable ones show the taper, which a change would reset.
_KINDS = (arch.STABLE,)
# SC is given with products licensed for both routes (Gammagard Liquid, Gamunex-C).
SC_PRODUCTS = ("gammagard", "gamunexc")
SC_INTERVAL = 7
SC_MINUTES = 75  # a weekly pump infusion at home, set-up included
DIARY_CYCLES = 4  # cycles of home readings before the evaluation day
LINK_DAYS = 90
HOME_DEVICE = MeasureCode.GRIP_DYNAMOMETER
NOTE = "My {side} hand goes weak again a few days before each drip: jars and buttons are hard."


def sc_count(patients: int) -> int:
    """How many patients of a cohort this size infuse SCIG themselves (none below 20)."""
    return 0 if patients < 20 else max(1, round(0.04 * patients))


def diary_count(patients: int) -> int:
    """How many IVIG patients keep a diary at home (none below 10; the first wears off)."""
    return 0 if patients < 10 else max(1, round(0.04 * patients))


def choose(rng: Random, kinds: Sequence[str], roles: Sequence[Roles]) -> list[int]:
    """Stable patients with nothing else to show (overdue, a review, a stale weight, a hold),
    shuffled: those not made home-visit patients are tried in turn."""
    pool = [
        i
        for i, (kind, role) in enumerate(zip(kinds, roles, strict=True))
        if kind in _KINDS
        and role.booking in ("in_window", "none", "outside")
        and not (role.overdue or role.review_due or role.stale_weight)
    ]
    rng.shuffle(pool)
    return pool


def make_sc(rng: Random, ctx: Context, bundle: Bundle) -> bool:
    """Convert the patient to weekly self-infused SCIG some months ago. False: their history
    does not allow it (no settled IV regimen, a home-visit patient), and nothing changed."""
    today = ctx.today
    iv = bundle.regimens[-1]
    product = next((c for c in SC_PRODUCTS if c in ctx.products), None)
    on = max(today - days(rng.randint(70, 120)), iv.starts_on + days(42))
    if (
        product is None
        or iv.dose_g is None
        or on > today - days(63)  # weeks of SC to show
        or any(i.site != CareSite.CHAIR for i, _ in bundle.infusions)
    ):
        return False
    given_before = [
        i.scheduled_on for i, _ in bundle.infusions if i.status == "given" and i.scheduled_on < on
    ]
    conversion = convert_to_sc(
        iv_dose_g=iv.dose_g,
        iv_interval_days=iv.interval_days,
        sc_interval_days=SC_INTERVAL,
        on=on,
        last_given_on=max(given_before, default=None),
        policy=ctx.policy.for_route(Route.SC),
    )
    start = conversion.starts_on
    # No IV course after the conversion day: the last one's effect lasts until SC starts.
    _drop_from(bundle, on)
    weight = iv.actual_weight_kg or 70.0
    bundle.regimens.append(
        Regimen(  # type: ignore[call-arg]  # patient_id: set in _write
            starts_on=start,
            dose_g_per_kg=round(conversion.sc_dose_g / weight, 3),
            interval_days=SC_INTERVAL,
            days_per_course=1,
            route=Route.SC,
            product_id=ctx.products[product].id,
            weight_basis=iv.weight_basis,
            reason=f"converted from IV: {conversion.describe()}"[:500],
            dosing_weight_kg=iv.dosing_weight_kg,
            weight_basis_used=iv.weight_basis_used,
            dose_g=conversion.sc_dose_g,
            actual_weight_kg=iv.actual_weight_kg,
            weight_note=iv.weight_note,
            created_at=at(on, 15, 0, ctx.zone),
        )
    )
    bundle.reviews.append(
        {
            "reviewed_on": on,
            "outcome": "change",
            "notes": (
                "Stable on IVIG; asked to treat at home. Converted to weekly SCIG, "
                f"self-infused after pump training: {conversion.describe()}."
            )[:4000],
            "reviewed_by_id": None,
            "created_at": at(on, 16, 30, ctx.zone),
        }
    )
    _weekly_courses(rng, ctx, bundle, product, start, conversion.sc_dose_g)
    bundle.diary_link = {"issued_on": on, "created_at": at(on, 16, 45, ctx.zone)}
    return True


def _drop_from(bundle: Bundle, start: date) -> None:
    """Remove the IV courses from the conversion day on, with their lots and course scores,
    and any course score after it (SC readings take their place)."""
    keep = [n for n, (i, _) in enumerate(bundle.infusions) if i.scheduled_on < start]
    index = {old: new for new, old in enumerate(keep)}
    bundle.infusions = [bundle.infusions[n] for n in keep]
    bundle.lots = [(row, index[i]) for row, i in bundle.lots if i in index]
    bundle.assessments = [
        (row, None if i is None else index[i])
        for row, i in bundle.assessments
        if (i is None or i in index) and (row["taken_on"] < start or row["timing"] == "clinic")
    ]
    bundle.reviews = [r for r in bundle.reviews if r["reviewed_on"] < start]


def _weekly_courses(
    rng: Random, ctx: Context, bundle: Bundle, product_code: str, start: date, dose_g: float
) -> None:
    """Weekly self-infused courses from the SC start to yesterday (a few a day late, within
    the tolerance), each with a lot; the next one booked; a home grip every week or two."""
    product = ctx.products[product_code]
    plan = ctx.vial_plan(dose_g, product)
    regimen = len(bundle.regimens) - 1
    weak = _weak_side(bundle)
    level = {weak: rng.uniform(14, 20), _other(weak): rng.uniform(28, 36)}
    day = start
    while day < ctx.today:
        given = len(bundle.infusions)
        course = _self_course(ctx, day, dose_g, product.id, CourseStatus.GIVEN)
        bundle.infusions.append((course, regimen))
        for number, count, size, expires in ctx.lots.course_lots(rng, product_code, plan, day):
            bundle.lots.append(
                (
                    {"lot_number": number, "vials": count, "size_g": size, "expires_on": expires},
                    given,
                )
            )
        if rng.random() < 0.6:
            for side, kg in level.items():
                _home_grip(bundle, ctx, day + days(rng.randint(0, 2)), side, kg, rng)
        nominal = day + days(SC_INTERVAL)
        day = nominal + days(1 if rng.random() < 0.1 else 0)
    bundle.infusions.append((_self_course(ctx, day, dose_g, product.id, "booked"), regimen))


def _self_course(
    ctx: Context, day: date, dose_g: float, product_id: int | None, status: str
) -> Infusion:
    course = Infusion(  # type: ignore[call-arg]  # patient_id: set in _write
        scheduled_on=day,
        start_time=time(19, 0),
        site=CareSite.SELF.value,
        days=1,
        chair_minutes=SC_MINUTES,
        status=status,
        dose_g=dose_g,
        planned_dose_g=None,
        product_id=product_id,
        created_at=at(day - days(7), 10, 0, ctx.zone),
        updated_at=at(day - days(7), 10, 0, ctx.zone),
    )
    if status == CourseStatus.GIVEN:
        course.given_at = course.updated_at = at(day, 20, 15, ctx.zone)
    return course


def make_diary(rng: Random, ctx: Context, bundle: Bundle, *, wears_off: bool) -> bool:
    """Home grip readings around the last completed IV cycles, and a diary link. False: too
    few cycles of the current regimen to read (nothing changed)."""
    regimen = bundle.regimens[-1]
    given = sorted(
        i.scheduled_on
        for i, r in bundle.infusions
        if i.status == CourseStatus.GIVEN and r == len(bundle.regimens) - 1
    )
    tolerance = ctx.policy.due_tolerance_days
    cycles = [
        (a, b)
        for a, b in zip(given, given[1:], strict=False)
        if (b - a).days <= regimen.interval_days + tolerance
    ][-DIARY_CYCLES:]
    if len(cycles) < 3:
        return False
    weak = _weak_side(bundle)
    trough = {weak: rng.uniform(15, 22), _other(weak): rng.uniform(28, 36)}
    for start, end in cycles:
        for side, kg in trough.items():
            rise = rng.uniform(8, 10) if wears_off and side == weak else rng.uniform(0, 2)
            peak_on = start + days(rng.randint(2, 4))
            trough_on = end - days(rng.randint(0, 2))
            _home_grip(bundle, ctx, peak_on, side, kg + rise, rng, Timing.POST_INFUSION)
            _home_grip(bundle, ctx, trough_on, side, kg, rng, Timing.PRE_INFUSION)
    issued = cycles[0][0] - days(rng.randint(1, 5))
    bundle.diary_link = {"issued_on": issued, "created_at": at(issued, 16, 45, ctx.zone)}
    if wears_off:
        bundle.diary_notes.append(
            {
                "written_on": (written := cycles[-1][1] - days(1)),
                "text": NOTE.format(side=weak),
                "created_at": at(written, 21, 10, ctx.zone),
            }
        )
    return True


def link_rows(bundle: Bundle, patient_id: int, today: date) -> tuple[dict, str]:
    """The diary link row for the patient and its token (only the digest is stored)."""
    token = secrets.token_urlsafe(32)  # 256 bits, as a link staff issue
    assert bundle.diary_link is not None
    issued = bundle.diary_link["issued_on"]
    # Issued by staff at the start; still live on the evaluation day (a week left at least).
    expires = max(today + days(7), issued + timedelta(days=LINK_DAYS))
    return (
        {
            "patient_id": patient_id,
            "token_hash": token_digest(token),
            "created_by_id": None,
            "created_at": bundle.diary_link["created_at"],
            "expires_on": expires,
        },
        token,
    )


def _home_grip(
    bundle: Bundle,
    ctx: Context,
    day: date,
    side: str,
    kg: float,
    rng: Random,
    timing: str = Timing.CLINIC,
) -> None:
    if day >= ctx.today:
        return
    value = round((kg + rng.uniform(-0.5, 0.5)) * 2) / 2  # the device reads to 0.5 kg
    bundle.assessments.append(
        (
            {
                "taken_on": day,
                "measure": HOME_DEVICE,
                "side": side,
                "value": value,
                "timing": timing,
                "source": Source.HOME,
                "recorded_by_id": None,
                "recorded_at": at(day, 20, 30, ctx.zone),
            },
            None,
        )
    )


def _weak_side(bundle: Bundle) -> str:
    """The hand whose clinic Vigorimeter grips are lower on average."""
    sums = {"left": [0.0, 0], "right": [0.0, 0]}
    for row, _ in bundle.assessments:
        if row["measure"] == MeasureCode.GRIP_VIGORIMETER and row["side"] in sums:
            sums[row["side"]][0] += row["value"]
            sums[row["side"]][1] += 1
    mean = {side: total / max(1, n) for side, (total, n) in sums.items()}
    return min(mean, key=lambda side: mean[side])


def _other(side: str) -> str:
    return "right" if side == "left" else "left"
