"""Infusion courses: booking a chair, recording a course as given, rescheduling, cancelling."""

from datetime import date, time, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracker.formats.display import date_text
from tracker.rules import FundingRefusal, SitePolicy, current_regimen
from tracker.rules.chairs import (
    DEFAULT_CHAIR_MINUTES,
    chair_minutes,
    chair_span,
    course_days,
    spans_clash,
)
from tracker.rules.facts import RegimenFact
from tracker.rules.plausibility import (
    ImplausibleEntry,
    Life,
    check_course_day,
    check_course_dose,
    check_course_lots,
    check_day_in_life,
    check_one_course_a_day,
)
from tracker.rules.visits import bound_by_opening_hours
from tracker.rules.vocabulary import CareSite, CourseStatus, PatientStatus
from tracker.schemas.treatment import (
    InfusionAdminister,
    InfusionCreate,
    InfusionReschedule,
    LotInput,
)
from tracker.services import audit, plain_sql
from tracker.services.actors import Actor
from tracker.services.authorizations import require_funding
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.services.evaluation import read_packed, store_state
from tracker.services.opening import check_course_open
from tracker.services.patients import lock_patient, weight_kg_on
from tracker.services.policy import load_policy
from tracker.services.regimens import product_by_code
from tracker.services.reminders import refresh_course_reminder
from tracker.services.site_settings import site_settings
from tracker.services.visits import check_site, claim_nurse, nurse_by_username
from tracker.store.ids import stored_id
from tracker.store.models import (
    Chair,
    Infusion,
    InfusionLot,
    Product,
    StaffUser,
)
from tracker.store.types import utcnow

# The course fields the pages and the API show, and each lot's (the patient record reads
# the same, from plain rows).
COURSE_FIELDS = (
    "id",
    "patient_id",
    "regimen_id",
    "scheduled_on",
    "start_time",
    "days",
    "chair_minutes",
    "site",
    "visit_address",
    "status",
    "dose_g",
    "planned_dose_g",
    "reactions",
    "premedication",
    "notes",
    "cancel_reason",
    "override_reason",
)
LOT_FIELDS = ("lot_number", "vials", "size_g", "expires_on")

# The statements every booking sends, as plain SQL (services.plain_sql): through the ORM
# they cost a worker three to four times the CPU (docs/write-profile.md, round nine).
_BOOKED, _GIVEN = CourseStatus.BOOKED.value, CourseStatus.GIVEN.value
_ACTIVE_CHAIR = "SELECT id, code FROM chair WHERE code = :code AND active"
# With their products' rates: a booking names the regimen's product unless it names another.
_PATIENT_REGIMENS = (
    "SELECT r.id, r.starts_on, r.dose_g_per_kg, r.interval_days, r.dose_g, p.id, "
    "p.concentration_percent, p.max_rate_mg_per_kg_per_min, p.start_rate_mg_per_kg_per_min "
    "FROM regimen r LEFT JOIN product p ON p.id = r.product_id WHERE r.patient_id = :patient_id"
)
_BUMP_CHAIR = "UPDATE chair SET booking_version = booking_version + 1 WHERE id = :chair_id"
_CHAIR_COURSES = (
    "SELECT id, scheduled_on, days, start_time, chair_minutes FROM infusion "
    f"WHERE chair_id = :chair_id AND status IN ('{_BOOKED}', '{_GIVEN}') "
    "AND scheduled_on >= :from_day AND scheduled_on <= :to_day"
)
_PATIENT_COURSE_DAYS = (
    "SELECT scheduled_on, days FROM infusion "
    f"WHERE patient_id = :patient_id AND status IN ('{_BOOKED}', '{_GIVEN}') "
    "AND scheduled_on >= :from_day AND scheduled_on < :before_day AND id != :ignore_id"
)


class ChairRef(NamedTuple):
    """A chair as a booking needs it."""

    id: int
    code: str


class ProductRates(NamedTuple):
    """A product as a booking needs it: its id, and what sets the chair time."""

    id: int
    concentration_percent: float | None
    max_rate_mg_per_kg_per_min: float | None
    start_rate_mg_per_kg_per_min: float | None


class RegimenRef(NamedTuple):
    """The regimen a booking falls under: its id and fixed dose (if any)."""

    id: int
    dose_g: float | None


# One course, every column (for plain_sql.loaded): get_infusion.
_COURSE_BY_ID = f"SELECT {plain_sql.columns_sql(Infusion, 'i')} FROM infusion i WHERE i.id = :id"
# A course's chair, product, visiting nurse and lots, for showing it.
_COURSE_VIEWS = (
    "SELECT i.id, c.code, p.code, n.username, l.lot_number, l.vials, l.size_g, l.expires_on "
    "FROM infusion i LEFT JOIN chair c ON c.id = i.chair_id "
    "LEFT JOIN product p ON p.id = i.product_id LEFT JOIN staff_user n ON n.id = i.nurse_id "
    "LEFT JOIN infusion_lot l ON l.infusion_id = i.id WHERE i.id {ids} ORDER BY l.id"
)


def chairs(session: Session) -> list[Chair]:
    """The site's active infusion chairs, by code."""
    return list(session.exec(select(Chair).where(Chair.active).order_by(Chair.code)).all())


def chair_by_code(session: Session, code: str | None) -> ChairRef | None:
    """The active chair with this code (None for None), or Invalid naming `chair`."""
    if code is None:
        return None
    chair = plain_sql.first(session, _ACTIVE_CHAIR, {"code": code})
    if chair is None:
        raise Invalid(f"unknown chair {code!r}", field="chair")
    return ChairRef(*chair)


def get_infusion(session: Session, infusion_id: int) -> Infusion:
    """The course with this id, or NotFound."""
    # As the ORM's session.get (the row the session holds, else read into it), by a plain
    # statement: 140 to 160 us of a worker's CPU against 260 to 330 (recording a course
    # given begins with it).
    held = session.identity_map.get(session.identity_key(Infusion, infusion_id))
    if held is not None:
        return cast(Infusion, held)
    row = plain_sql.first(session, _COURSE_BY_ID, {"id": infusion_id})
    if row is None:
        raise NotFound(f"no infusion with id {infusion_id}")
    return plain_sql.loaded(session, Infusion, row)


def _regimen_on(
    session: Session, patient_id: int, day: date
) -> tuple[RegimenRef | None, ProductRates | None]:
    """The regimen in force on `day` and its product (either None)."""
    rows = plain_sql.rows(session, _PATIENT_REGIMENS, {"patient_id": patient_id}, dates=(1,))
    fact = current_regimen([RegimenFact(*row[:4]) for row in rows], day)
    for row in rows:
        if fact is not None and row[0] == fact.id:
            product = ProductRates(*row[5:]) if row[5] is not None else None
            return RegimenRef(row[0], row[4]), product
    return None, None


def estimate_chair_minutes(
    session: Session,
    *,
    patient_id: int,
    day: date,
    dose_g: float | None,
    product: Product | ProductRates | None,
) -> int:
    """Minutes a course will hold the chair, from the dose, weight and product's rates."""
    return chair_minutes(
        dose_g=dose_g,
        weight_kg=weight_kg_on(session, patient_id=patient_id, day=day),
        concentration_percent=product.concentration_percent if product else None,
        max_rate_mg_per_kg_per_min=product.max_rate_mg_per_kg_per_min if product else None,
        start_rate_mg_per_kg_per_min=product.start_rate_mg_per_kg_per_min if product else None,
    )


def _claim_chair(
    session: Session,
    *,
    chair: Chair | ChairRef,
    first_day: date,
    days: int,
    start: time | None,
    minutes: int,
    ignore_id: int | None = None,
) -> None:
    """Hold the chair for these days and hours, or raise Conflict if someone has it."""
    # Bumping the chair's version takes its row lock (PostgreSQL) or the write lock
    # (SQLite) first, so two bookings of one chair are checked one after the other.
    plain_sql.run(session, _BUMP_CHAIR, {"chair_id": chair.id})
    wanted_days = course_days(first_day, days)
    span = chair_span(start, minutes)
    others = plain_sql.rows(
        session,
        _CHAIR_COURSES,
        {
            "chair_id": chair.id,
            "from_day": first_day - timedelta(days=4),
            "to_day": first_day + timedelta(days=days),
        },
        dates=(1,),
        times=(3,),
    )
    for other_id, other_day, other_days, other_start, other_minutes in others:
        if other_id == ignore_id or not (course_days(other_day, other_days) & wanted_days):
            continue
        if spans_clash(span, chair_span(other_start, other_minutes)):
            taken = other_start.strftime("%H:%M") if other_start else "all day"
            raise Conflict(
                f"chair {chair.code} is taken on {date_text(other_day)} "
                f"({taken}, {other_minutes or DEFAULT_CHAIR_MINUTES} min)",
                field="chair",
            )


def _lots(
    infusion_id: int,
    lots: list[LotInput],
    given_on: date,
    dose_g: float | None,
    *,
    confirmed: bool,
) -> list[InfusionLot]:
    # A recall must find every vial: the rules refuse a course given with no lot, an expired
    # lot, or lots that do not add up to the dose unless a person confirmed the difference.
    try:
        check_course_lots(
            [(lot.lot_number, lot.vials, lot.size_g, lot.expires_on) for lot in lots],
            dose_g=dose_g or 0,
            given_on=given_on,
            confirmed=confirmed,
        )
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    return [InfusionLot(infusion_id=infusion_id, **lot.model_dump()) for lot in lots]


def _save_lots(session: Session, lots: list[InfusionLot]) -> None:
    # Plain INSERTs: the unit of work's flush cost more than the statements.
    for lot in lots:
        plain_sql.insert(session, lot)


def _check_dose(dose_g: float, *, days: int) -> None:
    try:
        check_course_dose(dose_g, days=days)
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc


def _check_course_day(day: date, *, born_on: date, given: bool, today: date) -> None:
    try:
        check_course_day(day, given=given, life=Life(born_on=born_on, today=today))
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc


def _check_one_course_a_day(
    session: Session,
    *,
    patient_id: int,
    first_day: date,
    days: int,
    field: str = "scheduled_on",
    ignore_id: int | None = None,
) -> None:
    # The caller has locked the patient's row (patients.lock_patient), so two bookings of
    # one patient for one day are checked one after the other.
    # A course lasts at most 5 days, so only courses starting 4 days before can reach it.
    others = plain_sql.rows(
        session,
        _PATIENT_COURSE_DAYS,
        {
            "patient_id": patient_id,
            "from_day": first_day - timedelta(days=4),
            "before_day": first_day + timedelta(days=days),
            "ignore_id": ignore_id or 0,
        },
        dates=(0,),
    )
    try:
        check_one_course_a_day(first_day, days, [(on, n) for on, n in others], field=field)
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc


def _unconfirmed(data: InfusionCreate) -> set[str]:
    # The audit keeps a confirmation given, and says nothing of one not needed.
    return set() if data.confirm_lot_total else {"confirm_lot_total"}


def _overridden(refusal: FundingRefusal | None) -> dict[str, str]:
    # The audit entry says what an override reason let through (clinical rules 8).
    return {} if refusal is None else {"funding_overridden": refusal.message}


def book_infusion(
    session: Session, *, actor: Actor, patient_id: int, data: InfusionCreate, today: date
) -> Infusion:
    """Book a course (or record one given already); a chair is never double-booked."""
    patient = lock_patient(session, patient_id)
    if patient.status == PatientStatus.DISCHARGED:
        raise Conflict("the patient is discharged", field="patient_id")
    given = data.status == CourseStatus.GIVEN.value
    if given and data.dose_g is None:
        raise Invalid("dose_g is required when status is given", field="dose_g")
    if not given and data.lots:
        raise Invalid("lots are recorded when the course is given, not booked", field="lots")
    # Which resources the site holds (clinical rules 9): a nurse at home, a chair or none.
    check_site(data.site, chair=data.chair, nurse=data.nurse, visit_address=data.visit_address)
    _check_course_day(data.scheduled_on, born_on=patient.birth_date, given=given, today=today)
    if data.dose_g is not None:
        _check_dose(data.dose_g, days=data.days)
    _check_one_course_a_day(
        session, patient_id=patient_id, first_day=data.scheduled_on, days=data.days
    )
    # Read once for the booking: the policy, and the hours the course must fit in.
    settings = site_settings(session)
    policy = settings.policy
    regimen, regimen_product = _regimen_on(session, patient_id, data.scheduled_on)
    product = product_by_code(session, data.product_code) or regimen_product
    dose_g = data.dose_g if data.dose_g is not None else (regimen.dose_g if regimen else None)
    chair = chair_by_code(session, data.chair)
    nurse = nurse_by_username(session, data.nurse)
    # A course over several days holds the chair each day for that day's share of the dose.
    minutes = estimate_chair_minutes(
        session,
        patient_id=patient_id,
        day=data.scheduled_on,
        dose_g=dose_g / data.days if dose_g else None,
        product=product,
    )
    # The suite's hours bind a booking in the centre; a course given is recorded as it was,
    # and a course at home keeps the patient's and the nurse's hours.
    if not given and bound_by_opening_hours(data.site):
        check_course_open(
            session,
            first_day=data.scheduled_on,
            days=data.days,
            start=data.start_time,
            minutes=minutes,
            settings=settings,
        )
    if chair is not None:
        _claim_chair(
            session,
            chair=chair,
            first_day=data.scheduled_on,
            days=data.days,
            start=data.start_time,
            minutes=minutes,
        )
    if nurse is not None:
        claim_nurse(
            session,
            nurse=nurse,
            first_day=data.scheduled_on,
            days=data.days,
            start=data.start_time,
            minutes=minutes,
            buffer_minutes=policy.home_visit_buffer_minutes,
        )
    infusion = Infusion(
        patient_id=patient_id,
        regimen_id=regimen.id if regimen else None,
        scheduled_on=data.scheduled_on,
        start_time=data.start_time,
        chair_id=chair.id if chair else None,
        site=data.site,
        nurse_id=nurse.id if nurse else None,
        visit_address=data.visit_address,
        days=data.days,
        chair_minutes=minutes,
        status=data.status,
        dose_g=data.dose_g if given else None,
        # What was planned when booked; the dose given is `dose_g`, recorded when given.
        planned_dose_g=None if given else data.dose_g,
        product_id=product.id if product else None,
        reactions=data.reactions if given else None,
        premedication=data.premedication,
        notes=data.notes,
        given_by_id=actor.id if given else None,
        given_at=utcnow() if given else None,
        override_reason=data.override_reason,
        created_by_id=actor.id,
    )
    _flush_booking(session, chair, nurse, new=infusion)
    if given:
        _save_lots(
            session,
            _lots(
                stored_id(infusion),
                data.lots,
                data.scheduled_on,
                data.dose_g,
                confirmed=data.confirm_lot_total,
            ),
        )
    # Within the patient's funding authorisations, or with a reason (the patient is locked
    # from the start to the commit: two bookings cannot both spend the last grams).
    overridden = _refresh(
        session,
        infusion,
        today=today,
        new_course=True,
        policy=policy,
        funding=_Funding(data.scheduled_on, data.status, data.dose_g, data.override_reason),
    )
    audit.record(
        session,
        actor=actor,
        action="infusion.create",
        entity="infusion",
        entity_id=infusion.id,
        patient_id=patient_id,
        changes={**data.model_dump(exclude=_unconfirmed(data)), **_overridden(overridden)},
    )
    return infusion


class _Funding(NamedTuple):
    """A course's funding check, made on the facts as the write leaves them."""

    day: date
    status: str
    dose_g: float | None
    override_reason: str | None


def _refresh(
    session: Session,
    infusion: Infusion,
    *,
    today: date,
    new_course: bool = False,
    policy: SitePolicy | None = None,
    funding: _Funding | None = None,
) -> FundingRefusal | None:
    """After a change to a course: its funding check (the refusal overridden, if any), the
    patient's state and the course's reminder."""
    # One read of the policy, and one of the patient's facts, for all three (each read is a
    # round trip).
    policy = policy or load_policy(session)
    facts = read_packed(session, patient_id=infusion.patient_id, today=today, policy=policy)
    overridden = None
    if funding is not None:
        overridden = require_funding(
            facts,
            day=funding.day,
            status=funding.status,
            dose_g=funding.dose_g,
            override_reason=funding.override_reason,
            policy=policy,
            course_id=stored_id(infusion),
        )
    store_state(session, patient_id=infusion.patient_id, facts=facts, today=today, policy=policy)
    refresh_course_reminder(
        session, infusion_id=stored_id(infusion), today=today, policy=policy, new_course=new_course
    )
    return overridden


def _flush_booking(
    session: Session,
    chair: Chair | ChairRef | None,
    nurse: StaffUser | None = None,
    *,
    new: Infusion | None = None,
) -> None:
    # A new course is inserted with plain SQL (the unit of work's flush cost more than the
    # INSERT); a course moved is flushed.
    try:
        if new is not None:
            plain_sql.insert(session, new)
        else:
            session.flush()
    except IntegrityError as exc:  # the unique start index: a same-start booking won
        if nurse is not None:
            raise Conflict(f"nurse {nurse.username} is taken at that time", field="nurse") from exc
        raise Conflict(
            f"chair {chair.code if chair else ''} is taken at that time", field="chair"
        ) from exc


# What recording a course as given may change, for its audit entry's [old, new] pairs.
_GIVEN_FIELDS = (
    "status",
    "scheduled_on",
    "dose_g",
    "product_id",
    "reactions",
    "premedication",
    "notes",
    "given_by_id",
    "override_reason",
)


def administer_infusion(
    session: Session, *, actor: Actor, infusion_id: int, data: InfusionAdminister, today: date
) -> Infusion:
    """Record a booked course as given, with its dose, product, lots and reactions."""
    infusion = get_infusion(session, infusion_id)
    if infusion.status != CourseStatus.BOOKED:
        raise Conflict(f"the course is {infusion.status}, not booked", field="status")
    given_on = data.given_on or infusion.scheduled_on
    try:
        patient = lock_patient(session, infusion.patient_id)
        check_day_in_life(
            given_on, life=Life(born_on=patient.birth_date, today=today), field="given_on"
        )
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    if given_on != infusion.scheduled_on:
        _check_one_course_a_day(
            session,
            patient_id=infusion.patient_id,
            first_day=given_on,
            days=infusion.days,
            field="given_on",
            ignore_id=infusion.id,
        )
    _check_dose(data.dose_g, days=infusion.days)
    policy = load_policy(session)
    product = product_by_code(session, data.product_code)
    if given_on != infusion.scheduled_on and infusion.chair_id is not None:
        chair = session.get(Chair, infusion.chair_id)
        assert chair is not None  # chair_id is a foreign key
        _claim_chair(
            session,
            chair=chair,
            first_day=given_on,
            days=infusion.days,
            start=infusion.start_time,
            minutes=infusion.chair_minutes or 0,
            ignore_id=infusion.id,
        )
    if given_on != infusion.scheduled_on and infusion.nurse_id is not None:
        visiting = session.get(StaffUser, infusion.nurse_id)
        assert visiting is not None  # nurse_id is a foreign key
        claim_nurse(
            session,
            nurse=visiting,
            first_day=given_on,
            days=infusion.days,
            start=infusion.start_time,
            minutes=infusion.chair_minutes or 0,
            buffer_minutes=policy.home_visit_buffer_minutes,
            ignore_id=infusion.id,
        )
    before = {name: getattr(infusion, name) for name in _GIVEN_FIELDS}
    now = utcnow()
    # Saved with plain SQL: the unit of work's flush cost more than the UPDATE.
    plain_sql.update(
        session,
        infusion,
        {
            "scheduled_on": given_on,
            "status": CourseStatus.GIVEN.value,
            "dose_g": data.dose_g,
            "product_id": product.id if product is not None else infusion.product_id,
            "reactions": data.reactions,
            "premedication": data.premedication or infusion.premedication,
            "notes": data.notes or infusion.notes,
            "given_by_id": actor.id,
            "given_at": now,
            "override_reason": data.override_reason or infusion.override_reason,
            "updated_at": now,
        },
    )
    _save_lots(
        session,
        _lots(
            stored_id(infusion), data.lots, given_on, data.dose_g, confirmed=data.confirm_lot_total
        ),
    )
    # Withdraws its reminder; checks the funding as the course now stands.
    overridden = _refresh(
        session,
        infusion,
        today=today,
        policy=policy,
        funding=_Funding(given_on, CourseStatus.GIVEN, data.dose_g, data.override_reason),
    )
    audit.record(
        session,
        actor=actor,
        action="infusion.administer",
        entity="infusion",
        entity_id=infusion.id,
        patient_id=infusion.patient_id,
        changes={
            **audit.diff(before, {name: getattr(infusion, name) for name in _GIVEN_FIELDS}),
            "lots": [lot.model_dump() for lot in data.lots],
            **({"confirm_lot_total": True} if data.confirm_lot_total else {}),
            **_overridden(overridden),
        },
    )
    return infusion


def reschedule_infusion(
    session: Session, *, actor: Actor, infusion_id: int, data: InfusionReschedule, today: date
) -> Infusion:
    """Move a booked course to another day, time or chair."""
    infusion = get_infusion(session, infusion_id)
    if infusion.status != CourseStatus.BOOKED:
        raise Conflict(f"the course is {infusion.status}, not booked", field="status")
    patient = lock_patient(session, infusion.patient_id)
    _check_course_day(data.scheduled_on, born_on=patient.birth_date, given=False, today=today)
    _check_one_course_a_day(
        session,
        patient_id=infusion.patient_id,
        first_day=data.scheduled_on,
        days=infusion.days,
        ignore_id=infusion.id,
    )
    settings = site_settings(session)
    policy = settings.policy
    # A visit keeps its nurse unless another is named; either is checked at the new time.
    nurse: StaffUser | None = None
    if infusion.site == CareSite.HOME_NURSE:
        nurse = nurse_by_username(session, data.nurse) if data.nurse else None
        if nurse is None and infusion.nurse_id is not None:
            nurse = session.get(StaffUser, infusion.nurse_id)
    check_site(infusion.site, chair=data.chair, nurse=nurse.username if nurse else data.nurse)
    chair = chair_by_code(session, data.chair)
    if bound_by_opening_hours(infusion.site):
        check_course_open(
            session,
            first_day=data.scheduled_on,
            days=infusion.days,
            start=data.start_time,
            minutes=infusion.chair_minutes or 0,
            settings=settings,
        )
    if nurse is not None:
        claim_nurse(
            session,
            nurse=nurse,
            first_day=data.scheduled_on,
            days=infusion.days,
            start=data.start_time,
            minutes=infusion.chair_minutes or 0,
            buffer_minutes=policy.home_visit_buffer_minutes,
            ignore_id=infusion.id,
        )
    if chair is not None:
        _claim_chair(
            session,
            chair=chair,
            first_day=data.scheduled_on,
            days=infusion.days,
            start=data.start_time,
            minutes=infusion.chair_minutes or 0,
            ignore_id=infusion.id,
        )
    before = {
        "scheduled_on": infusion.scheduled_on,
        "start_time": infusion.start_time,
        "chair_id": infusion.chair_id,
        "nurse_id": infusion.nurse_id,
        "override_reason": infusion.override_reason,
    }
    infusion.scheduled_on = data.scheduled_on
    infusion.start_time = data.start_time
    infusion.chair_id = chair.id if chair else None
    infusion.nurse_id = nurse.id if nurse else None
    infusion.override_reason = data.override_reason or infusion.override_reason
    infusion.updated_at = utcnow()
    _flush_booking(session, chair, nurse)
    # A moved course gets a fresh reminder (the old one is withdrawn), and its funding is
    # checked at the new day.
    overridden = _refresh(
        session,
        infusion,
        today=today,
        policy=policy,
        funding=_Funding(
            data.scheduled_on, CourseStatus.BOOKED, infusion.planned_dose_g, data.override_reason
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="infusion.reschedule",
        entity="infusion",
        entity_id=infusion.id,
        patient_id=infusion.patient_id,
        changes={
            **audit.diff(
                before,
                {
                    "scheduled_on": data.scheduled_on,
                    "start_time": data.start_time,
                    "chair_id": infusion.chair_id,
                    "nurse_id": infusion.nurse_id,
                    "override_reason": infusion.override_reason,
                },
            ),
            **_overridden(overridden),
        },
    )
    return infusion


def cancel_infusion(
    session: Session,
    *,
    actor: Actor,
    infusion_id: int,
    reason: str,
    today: date,
    status: str = CourseStatus.CANCELLED,
) -> Infusion:
    """Cancel a booked course (or mark it missed), with the reason."""
    infusion = get_infusion(session, infusion_id)
    if infusion.status != CourseStatus.BOOKED:
        raise Conflict(f"the course is {infusion.status}, not booked", field="status")
    before = {"status": infusion.status, "cancel_reason": infusion.cancel_reason}
    infusion.status = status
    infusion.cancel_reason = reason
    infusion.cancelled_at = utcnow()
    infusion.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"infusion.{status}",
        entity="infusion",
        entity_id=infusion.id,
        patient_id=infusion.patient_id,
        changes=audit.diff(before, {"status": status, "cancel_reason": reason}),
    )
    _refresh(session, infusion, today=today)  # withdraws its reminder
    return infusion


def last_given_on(session: Session, *, patient_id: int, on: date) -> date | None:
    """The first day of the patient's latest course given on or before `on`, or None."""
    return session.exec(
        select(func.max(Infusion.scheduled_on)).where(
            Infusion.patient_id == patient_id,
            Infusion.status == CourseStatus.GIVEN,
            Infusion.scheduled_on <= on,
        )
    ).one()


def infusions(session: Session, *, patient_id: int) -> list[Infusion]:
    """A patient's courses, oldest first."""
    return list(
        session.exec(
            select(Infusion)
            .where(Infusion.patient_id == patient_id)
            .order_by(Infusion.scheduled_on, Infusion.id)
        ).all()
    )


def infusion_view(session: Session, infusion: Infusion) -> dict[str, Any]:
    """A course as the API and pages show it, with its chair code, product and lots."""
    return infusion_views(session, [infusion])[0]


def _course_view_rows(session: Session, ids: list[int]) -> list[tuple[Any, ...]]:
    members, params = plain_sql.in_list("id", ids)
    return plain_sql.rows(session, _COURSE_VIEWS.format(ids=members), params, dates=(7,))


def infusion_views(session: Session, courses: list[Infusion]) -> list[dict[str, Any]]:
    """Several courses as shown, with their chair and product codes and lots, in one query."""
    ids = [stored_id(c) for c in courses]
    chair_codes: dict[int, str | None] = {}
    product_codes: dict[int, str | None] = {}
    nurse_names: dict[int, str | None] = {}
    lots: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    # Only the courses' own chairs and products: reading every chair and product of the
    # site as ORM rows cost more than the rest of a booking.
    for course_id, chair, product, nurse, *lot in _course_view_rows(session, ids) if ids else ():
        chair_codes[course_id], product_codes[course_id] = chair, product
        nurse_names[course_id] = nurse
        if lot[0] is not None:
            lots[course_id].append(dict(zip(LOT_FIELDS, lot, strict=True)))
    return [
        {
            **c.model_dump(include=set(COURSE_FIELDS)),
            "chair": chair_codes.get(course_id),
            "product_code": product_codes.get(course_id),
            "nurse": nurse_names.get(course_id),
            "lots": lots[course_id],
        }
        for course_id, c in zip(ids, courses, strict=True)
    ]
