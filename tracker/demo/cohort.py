"""Load the synthetic demo cohort straight into the tables, deterministically from a seed."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from random import Random
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tracker.demo import archetypes as arch
from tracker.demo import funding as fund
from tracker.demo import homecare, selfcare
from tracker.demo.calendar import at
from tracker.demo.guard import DemoRefused, ensure_demo_allowed, has_demo
from tracker.demo.patient import Bundle, Context, Roles, build_patient
from tracker.demo.pharmacy import ChairBook, LotPool
from tracker.rules.policy import SitePolicy
from tracker.rules.vocabulary import Source
from tracker.services import demo_data
from tracker.store.ids import stored_id
from tracker.store.models import (
    Assessment,
    DiaryLink,
    DiaryNote,
    FundingAuthorization,
    InfusionLot,
    Review,
    Weight,
)

# Market shares of a sort; products an admin added later get a small share.
PRODUCT_WEIGHTS = {
    "privigen": 25,
    "gammagard": 20,
    "octagam10": 15,
    "panzyga": 15,
    "gamunexc": 15,
    "flebogamma10": 10,
}
CHUNK = 10  # patients written per flush


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` wrote, for the CLI to print."""

    patients: int
    regimens: int
    courses: int  # given courses
    bookings: int  # booked courses still to come
    assessments: int
    weights: int
    reviews: int
    lots: int
    by_archetype: dict[str, int]
    archetype_of: dict[str, str]  # MRN -> archetype, to find an example of each
    # Funding authorisations: the current one's state per patient, and every row written.
    funding: dict[str, int] = field(default_factory=dict)
    authorizations: int = 0
    nurses: int = 0
    home_patients: int = 0
    home_given: int = 0  # given courses at home
    home_booked: int = 0  # home visits to come
    sc_patients: int = 0  # converted to weekly SCIG they infuse themselves
    diary_patients: int = 0  # IVIG patients with home grip readings
    wear_off_at_home: str | None = None  # MRN of the one whose home readings wear off
    # Each diary link's token by MRN (only digests are stored): random, so not compared.
    diary_tokens: dict[str, str] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in self.by_archetype.items() if v)
        text = (
            f"{self.patients} demo patients ({kinds}): {self.courses} courses given, "
            f"{self.bookings} booked, {self.assessments} assessments"
        )
        if self.funding:
            states = ", ".join(f"{k} {v}" for k, v in self.funding.items())
            text += f"; funding authorisations {self.authorizations} (current: {states})"
        if self.nurses:
            text += (
                f"; {self.nurses} nurses visit {self.home_patients} patients at home "
                f"({self.home_given} courses given, {self.home_booked} booked)"
            )
        if self.sc_patients or self.diary_patients:
            text += (
                f"; {self.sc_patients} infuse SCIG themselves, {self.diary_patients} more "
                f"keep a diary of home grips"
            )
        return text


def load_demo(
    session: Session,
    *,
    patients: int = 40,
    seed: int = 1,
    today: date,
    progress: Callable[[int, int], None] | None = None,
    zone: ZoneInfo | str | None = None,
    funding: bool = True,
    home_care: bool = True,
    self_care: bool = True,
) -> DemoSummary:
    """Write a synthetic cohort ending on `today` into the session (the caller commits).

    With `funding`, every patient has funding authorisations, a few in a state the worklist
    flags, and the site policy requires them (so that a course no authorisation covers is
    flagged); with `home_care`, two nurses visit a few patients at home; with `self_care`, a
    few infuse SCIG themselves and a few IVIG patients keep a diary of home grip readings.
    """
    # The same seed, size, day and zone give the same rows, ids included on an empty
    # database. `zone` is the site time zone in which the clinical days' clock times are
    # read (default: the configured one), so that stored UTC instants are local 08:00-17:00.
    if patients < 1:
        raise ValueError("patients must be at least 1")
    ensure_demo_allowed(session)
    if has_demo(session):
        raise DemoRefused("the demo cohort is already loaded in this database")
    products = demo_data.active_products(session)
    if not products:
        raise DemoRefused("no active products: migrate the database first (tracker db upgrade)")
    chairs = demo_data.active_chair_ids(session)
    codes = [c for c in PRODUCT_WEIGHTS if c in products]
    codes += [c for c in products if c not in PRODUCT_WEIGHTS]
    rng = Random(seed)
    ctx = Context(
        rng=rng,
        today=today,
        zone=_zone(zone),
        policy=SitePolicy(),
        products=products,
        product_codes=codes,
        product_weights=[PRODUCT_WEIGHTS.get(c, 5) for c in codes],
        chairs=ChairBook(chairs),
        lots=LotPool(),
    )
    counts = arch.archetype_counts(patients)
    kinds = [kind for kind in arch.ARCHETYPES for _ in range(counts[kind])]
    rng.shuffle(kinds)  # archetypes spread over the MRNs, not in blocks
    roles = assign_roles(rng, kinds)
    tally = _Tally()
    # Home care and funding draw from streams of their own: the cohort stays the same.
    home_rng, funding_rng = Random(f"{seed}:home"), Random(f"{seed}:funding")
    nurse_ids = (
        [demo_data.put_demo_staff(session, u, name, "nurse") for u, name in homecare.NURSES]
        if home_care
        else []
    )
    wanted = homecare.home_count(patients) if nurse_ids else 0
    trying = homecare.choose(home_rng, kinds, roles, wanted)
    nurses = homecare.NurseBook(nurse_ids, ctx.policy.home_visit_buffer_minutes)
    homes = 0
    self_rng = Random(f"{seed}:self")
    sc_wanted = selfcare.sc_count(patients) if self_care else 0
    diary_wanted = selfcare.diary_count(patients) if self_care else 0
    candidates = set(selfcare.choose(self_rng, kinds, roles))
    sc_done = diaries = 0
    wear_off_at_home = None
    tokens: dict[str, str] = {}
    plans: list[fund.Current] = []
    chunk: list[tuple[Bundle, Roles]] = []
    for number, (kind, role) in enumerate(zip(kinds, roles, strict=True), start=1):
        bundle = build_patient(ctx, number, kind, role)
        chosen = homes < wanted and number - 1 in trying
        if chosen and homecare.make_home(home_rng, bundle, nurses, homes % 2, today, ctx.zone):
            homes += 1
        elif number - 1 in candidates:
            if sc_done < sc_wanted and selfcare.make_sc(self_rng, ctx, bundle):
                sc_done += 1
            elif diaries < diary_wanted and selfcare.make_diary(
                self_rng, ctx, bundle, wears_off=diaries == 0
            ):
                wear_off_at_home = wear_off_at_home or bundle.patient.mrn
                diaries += 1
        chunk.append((bundle, role))
        if len(chunk) == CHUNK or number == patients:
            bundles = [b for b, _ in chunk]
            tokens |= _write(session, bundles, today)
            tally.add(bundles)
            if funding:
                plans += _fund(session, funding_rng, chunk, today, ctx.zone, tally)
            chunk = []
            if progress is not None:
                progress(number, patients)
    summary = tally.summary(counts)
    if funding:
        states = fund.assign_states(funding_rng, plans, today)
        rows = [plan.row(funding_rng, today) for plan in plans]
        demo_data.insert_in_order(session, FundingAuthorization, rows)
        demo_data.require_authorizations(session)
        summary = replace(
            summary, funding=states, authorizations=tally.numbers["authorizations"] + len(rows)
        )
    return replace(
        summary,
        nurses=len(nurse_ids),
        home_patients=homes,
        sc_patients=sc_done,
        diary_patients=diaries,
        wear_off_at_home=wear_off_at_home,
        diary_tokens=tokens,
    )


def _fund(
    session: Session,
    rng: Random,
    chunk: list[tuple[Bundle, Roles]],
    today: date,
    zone: ZoneInfo,
    tally: "_Tally",
) -> list[fund.Current]:
    # Past authorisations now; the current ones once every patient is known (their states).
    rows: list[dict] = []
    plans = []
    for bundle, role in chunk:
        past, current = fund.plan(
            rng,
            bundle,
            role,
            stored_id(bundle.patient),
            today,
            recorded_at=lambda day: at(day, 10, 0, zone),
        )
        rows += past
        plans.append(current)
    demo_data.insert_in_order(session, FundingAuthorization, rows)
    tally.numbers["authorizations"] += len(rows)
    return plans


def assign_roles(rng: Random, kinds: Sequence[str]) -> list[Roles]:
    """Decide who is overdue, unbooked, booked outside the window, stale or due a review."""
    n = len(kinds)
    roles = [Roles() for _ in kinds]

    def of(*wanted: str) -> list[int]:
        return [i for i, kind in enumerate(kinds) if kind in wanted]

    stable = of(arch.STABLE)
    overdue = rng.sample(stable, min(len(stable), max(1, int(0.05 * n + 0.5))))
    for i in overdue:
        roles[i].overdue = True
        roles[i].booking = "none"
    due = of(arch.LONG_STABLE)[:1]
    spare = [i for i in stable if i not in overdue]
    if n >= 20 and spare:
        due.append(rng.choice(spare))
    for i in due:
        roles[i].review_due = True
    stale_pool = [
        i
        for i in of(arch.STABLE, arch.WEAR_OFF, arch.LONG_STABLE)
        if i not in overdue and i not in due
    ]
    for i in rng.sample(stale_pool, min(len(stale_pool), max(1, int(0.04 * n + 0.5)))):
        roles[i].stale_weight = True
    for i in of(arch.ON_HOLD):
        roles[i].booking = "hold"
    for i in of(arch.BOOKED_AHEAD):
        roles[i].booking = "ahead"
    # About 70% of the active patients have a booking: all new starts, and a sample of the
    # rest; a few of those bookings fall outside the window (no chair free inside it).
    active = n - len(of(arch.ON_HOLD))
    always = len(of(arch.NEW_START, arch.BOOKED_AHEAD))
    others = [
        i
        for i in of(
            arch.STABLE,
            arch.WEAR_OFF,
            arch.PROGRESSIVE,
            arch.DOSE_CAP,
            arch.LONG_STABLE,
            arch.NO_RESPONSE,
            arch.REFRACTORY,
        )
        if i not in overdue
    ]
    booked = rng.sample(others, max(0, min(len(others), round(0.7 * active) - always)))
    for i in others:
        if i not in booked:
            roles[i].booking = "none"
    for i in rng.sample(booked, max(0, min(len(booked) - 1, int(0.08 * n + 0.5)))):
        roles[i].booking = "outside"
    return roles


def _write(session: Session, bundles: list[Bundle], today: date) -> dict[str, str]:
    """Write the bundles' rows; the diary links' tokens by MRN."""
    # One flush per table level: the ids of one level are the foreign keys of the next.
    demo_data.add_and_flush(session, [b.patient for b in bundles])
    for b in bundles:
        for regimen in b.regimens:
            regimen.patient_id = stored_id(b.patient)
    demo_data.add_and_flush(session, [r for b in bundles for r in b.regimens])
    for b in bundles:
        for infusion, regimen_index in b.infusions:
            infusion.patient_id = stored_id(b.patient)
            infusion.regimen_id = stored_id(b.regimens[regimen_index])
    demo_data.add_and_flush(session, [i for b in bundles for i, _ in b.infusions])
    lots, weights, reviews, assessments = [], [], [], []
    for b in bundles:
        pid = stored_id(b.patient)
        lots += [{**row, "infusion_id": stored_id(b.infusions[i][0])} for row, i in b.lots]
        weights += [{**row, "patient_id": pid} for row in b.weights]
        reviews += [{**row, "patient_id": pid} for row in b.reviews]
        assessments += [
            {
                "source": Source.CLINIC,  # every row names it: one bulk insert, one shape
                **row,
                "patient_id": pid,
                "infusion_id": None if i is None else stored_id(b.infusions[i][0]),
            }
            for row, i in b.assessments
        ]
    # Bulk inserts through the same tables and transaction, in list order (so ids follow it).
    for model, rows in (
        (InfusionLot, lots),
        (Weight, weights),
        (Review, reviews),
        (Assessment, assessments),
    ):
        demo_data.insert_in_order(session, model, rows)
    return _write_diaries(session, [b for b in bundles if b.diary_link is not None], today)


def _write_diaries(session: Session, bundles: list[Bundle], today: date) -> dict[str, str]:
    links, tokens = [], {}
    for b in bundles:
        row, tokens[b.patient.mrn] = selfcare.link_rows(b, stored_id(b.patient), today)
        links.append(DiaryLink(**row))
    demo_data.add_and_flush(session, links)
    notes = [
        {**note, "patient_id": stored_id(b.patient), "diary_link_id": stored_id(link)}
        for b, link in zip(bundles, links, strict=True)
        for note in b.diary_notes
    ]
    demo_data.insert_in_order(session, DiaryNote, notes)
    return tokens


class _Tally:
    def __init__(self) -> None:
        self.numbers = dict.fromkeys(
            (
                "patients",
                "regimens",
                "courses",
                "bookings",
                "assessments",
                "weights",
                "reviews",
                "lots",
                "authorizations",
                "home_given",
                "home_booked",
            ),
            0,
        )
        self.archetype_of: dict[str, str] = {}

    def add(self, bundles: list[Bundle]) -> None:
        n = self.numbers
        for b in bundles:
            n["patients"] += 1
            n["regimens"] += len(b.regimens)
            n["courses"] += sum(i.status == "given" for i, _ in b.infusions)
            n["bookings"] += sum(i.status == "booked" for i, _ in b.infusions)
            n["assessments"] += len(b.assessments)
            n["weights"] += len(b.weights)
            n["reviews"] += len(b.reviews)
            n["lots"] += len(b.lots)
            home = [i for i, _ in b.infusions if i.site == "home_nurse"]
            n["home_given"] += sum(i.status == "given" for i in home)
            n["home_booked"] += sum(i.status == "booked" for i in home)
            self.archetype_of[b.patient.mrn] = b.archetype

    def summary(self, counts: dict[str, int]) -> DemoSummary:
        n = self.numbers
        return DemoSummary(
            patients=n["patients"],
            regimens=n["regimens"],
            courses=n["courses"],
            bookings=n["bookings"],
            assessments=n["assessments"],
            weights=n["weights"],
            reviews=n["reviews"],
            lots=n["lots"],
            by_archetype=dict(counts),
            archetype_of=self.archetype_of,
            home_given=n["home_given"],
            home_booked=n["home_booked"],
        )


def _zone(zone: ZoneInfo | str | None) -> ZoneInfo:
    if isinstance(zone, ZoneInfo):
        return zone
    if zone is not None:
        return ZoneInfo(zone)
    from tracker.settings import get_settings

    return get_settings().zone
