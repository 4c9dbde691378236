"""Checking one CSV row: the API's own input schema first, then the same rules its service
applies, so that a row the API would refuse is refused here too, with the same message."""

from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlmodel import Session

from tracker.formats.csv_cells import unsafe_text
from tracker.formats.display import date_text
from tracker.interop.csv.caseload import Caseload, CourseRef, PatientEntry, RegimenEntry
from tracker.interop.csv.layout import TEXT_COLUMNS, decode_lots
from tracker.rules import (
    DoseCalculation,
    DosingError,
    ScoreError,
    SitePolicy,
    WeightChangeError,
    calculate_dose,
    check_weight_change,
    validate_score,
)
from tracker.rules.chairs import chair_minutes
from tracker.rules.plausibility import (
    ImplausibleEntry,
    check_authorization_period,
    check_course_day,
    check_course_dose,
    check_course_lots,
    check_day_ahead,
    check_day_in_life,
    check_one_course_a_day,
    check_regimen_entry,
    check_weight_entry,
)
from tracker.rules.visits import bound_by_opening_hours
from tracker.rules.vocabulary import CourseStatus, PatientStatus, codes
from tracker.schemas.authorizations import AuthorizationCreate
from tracker.schemas.common import TEXT_SOURCE, Day, Reason
from tracker.schemas.patients import PatientCreate, Status, WeightCreate
from tracker.schemas.scores import AssessmentCreate
from tracker.schemas.treatment import InfusionCreate, LotInput, RegimenCreate
from tracker.services.errors import ServiceError
from tracker.services.opening import check_course_open
from tracker.services.regimens import check_regimen_limits
from tracker.services.visits import check_site, claim_nurse, nurse_by_username

Problems = list[tuple[str, str]]  # (column, message)
COURSE_STATUSES = codes(CourseStatus)
_STATUS = TypeAdapter(Status)
_DAY = TypeAdapter(Day)
_REASON = TypeAdapter(Reason)
_MINUTES = TypeAdapter(Annotated[int, Field(ge=1, le=24 * 60)])


class RowRefused(Exception):
    """A row broke a rule; the problems name their columns."""

    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


@dataclass
class RowContext:
    """What every row is checked against."""

    session: Session
    caseload: Caseload
    today: date
    policy: SitePolicy


def cells(header: list[str], values: list[str]) -> dict[str, str]:
    """A row as {column: text}, stripped, blanks left out (as a blank form field is)."""
    row = {}
    for column, value in zip(header, values, strict=False):
        value = value.strip()
        if value:
            row[column] = unsafe_text(value) if column in TEXT_COLUMNS else value
    return row


@dataclass
class PatientRow:
    """A patient to create."""

    data: PatientCreate
    status: str


def check_patient(row: dict[str, str], ctx: RowContext) -> PatientRow:
    """A patients.csv row, as POST /patients checks it (409 becomes a refusal here)."""
    values: dict[str, Any] = dict(row)
    status = values.pop("status", PatientStatus.ACTIVE)
    values.setdefault("sex", None)  # required by the schema, but may be unknown
    data, problems = _validate(PatientCreate, values)
    problems += _problems(_STATUS, status, "status")
    if problems:
        raise RowRefused(problems)
    taken = ctx.caseload.mrn_taken(data.mrn)
    if taken:
        raise RowRefused([("mrn", taken)])
    return PatientRow(data=data, status=status)


def patient_of(row: dict[str, str], ctx: RowContext) -> PatientEntry:
    """The patient a row belongs to, by its MRN (stored, or imported by patients.csv)."""
    mrn = row.get("mrn", "")
    entry = ctx.caseload.patient(ctx.session, mrn) if mrn else None
    if entry is None:
        raise RowRefused([("mrn", f"no patient with MRN {mrn!r}" if mrn else "Field required")])
    return entry


def check_weight(row: dict[str, str], entry: PatientEntry, ctx: RowContext) -> WeightCreate:
    """A weights.csv row, as POST /patients/{id}/weights checks it (the 10% rule included)."""
    data, problems = _validate(WeightCreate, _without(row, "mrn"))
    if problems:
        raise RowRefused(problems)
    _plausible(
        lambda: check_weight_entry(
            measured_on=data.measured_on, weight_kg=data.weight_kg, life=entry.life(ctx.today)
        )
    )
    try:
        check_weight_change(
            entry.weights,
            measured_on=data.measured_on,
            weight_kg=data.weight_kg,
            confirmed=data.confirm_weight_change,
        )
    except WeightChangeError as exc:
        raise RowRefused([(exc.field, exc.message)]) from exc
    return data


@dataclass
class RegimenRow:
    """A regimen with its dose calculated as the regimen service calculates it."""

    data: RegimenCreate
    product_id: int | None
    calc: DoseCalculation
    weight_kg: float  # the measured weight the dose was calculated on


def check_regimen(row: dict[str, str], entry: PatientEntry, ctx: RowContext) -> RegimenRow:
    """A regimens.csv row, as POST /patients/{id}/regimens checks it."""
    data, problems = _validate(RegimenCreate, _without(row, "mrn"))
    if problems:
        raise RowRefused(problems)
    _plausible(
        lambda: check_regimen_entry(
            starts_on=data.starts_on,
            dose_g_per_kg=data.dose_g_per_kg,
            life=entry.life(ctx.today),
        )
    )
    policy = ctx.policy.with_patient_bounds(entry.min_interval_days, entry.max_interval_days)
    _service_rule(
        lambda: check_regimen_limits(
            dose_g_per_kg=data.dose_g_per_kg,
            interval_days=data.interval_days,
            override_reason=data.override_reason,
            policy=policy,
            route=data.route,
        )
    )
    product_id = _product_id(data.product_code, ctx, "product_code")
    day = min(data.starts_on, ctx.today)
    weight = entry.weight_on(day)
    if weight is None:
        raise RowRefused(
            [
                (
                    "starts_on",
                    f"no weight recorded on or before {date_text(day)}: record a weight first",
                )
            ]
        )
    try:
        calc = calculate_dose(
            sex=entry.sex,
            height_cm=entry.height_cm,
            weight_kg=weight,
            dose_g_per_kg=data.dose_g_per_kg,
            days_per_course=data.days_per_course,
            basis=data.weight_basis,
            policy=policy.for_route(data.route),  # SC doses round to their own step
        )
    except DosingError as exc:
        raise RowRefused([(exc.field, exc.message)]) from exc
    return RegimenRow(data=data, product_id=product_id, calc=calc, weight_kg=weight)


@dataclass
class CourseRow:
    """A course to write, with what the booking service would have derived."""

    scheduled_on: date
    start_time: time | None
    status: str
    days: int
    chair_id: int | None
    site: str
    nurse_id: int | None
    chair_minutes: int
    dose_g: float | None
    product_id: int | None
    regimen: RegimenEntry | None
    lots: list[LotInput]
    reactions: str | None
    premedication: str | None
    notes: str | None
    cancel_reason: str | None


def check_course(row: dict[str, str], entry: PatientEntry, ctx: RowContext) -> CourseRow:
    """A courses.csv row: given and booked as POST /patients/{id}/infusions checks them;
    cancelled and missed as a booking that was then cancelled or marked missed."""
    values: dict[str, Any] = _without(row, "mrn")
    status = values.pop("status", "")
    minutes_text = values.pop("chair_minutes", None)
    cancel_reason_text = values.pop("cancel_reason", None)
    problems: Problems = []
    if status not in COURSE_STATUSES:
        problems.append(("status", "must be given, booked, cancelled or missed"))
    given = status == CourseStatus.GIVEN
    if "lots" in values:
        values["lots"], lot_problems = _lots(values["lots"])
        problems += lot_problems
    data, schema_problems = _validate(
        InfusionCreate, {**values, "status": CourseStatus.GIVEN if given else CourseStatus.BOOKED}
    )
    problems += schema_problems
    minutes = None
    if minutes_text is not None:
        minutes = _problems_or_value(_MINUTES, minutes_text, "chair_minutes", problems)
    cancel_reason = None
    if cancel_reason_text is not None:
        if status not in (CourseStatus.CANCELLED, CourseStatus.MISSED):
            problems.append(("cancel_reason", "only a cancelled or missed course has one"))
        else:
            cancel_reason = _problems_or_value(
                _REASON, cancel_reason_text, "cancel_reason", problems
            )
    elif status == CourseStatus.CANCELLED:
        problems.append(("cancel_reason", "say why the course was cancelled"))
    if problems:
        raise RowRefused(problems)
    _course_rules(data, status, entry, ctx)
    regimen = entry.regimen_on(data.scheduled_on)
    product_id = _product_id(data.product_code, ctx, "product_code") or (
        regimen.product_id if regimen else None
    )
    chair = _chair(data.chair, ctx)
    dose_g = data.dose_g if data.dose_g is not None else (regimen.dose_g if regimen else None)
    if minutes is None:
        minutes = _estimated_minutes(entry, data.scheduled_on, dose_g, product_id, ctx)
    _service_rule(lambda: check_site(data.site, chair=data.chair, nurse=data.nurse))
    nurse = _service_value(lambda: nurse_by_username(ctx.session, data.nurse))
    if nurse is not None and status == CourseStatus.BOOKED:  # held as the booking desk holds it
        _service_rule(
            lambda: claim_nurse(
                ctx.session,
                nurse=nurse,
                first_day=data.scheduled_on,
                days=data.days,
                start=data.start_time,
                minutes=minutes or 0,
                buffer_minutes=ctx.policy.home_visit_buffer_minutes,
            )
        )
    # The suite's hours bind a booking in the centre, as in the service.
    if status == CourseStatus.BOOKED and bound_by_opening_hours(data.site):
        _service_rule(
            lambda: check_course_open(
                ctx.session,
                first_day=data.scheduled_on,
                days=data.days,
                start=data.start_time,
                minutes=minutes or 0,
            )
        )
    if chair is not None and status == CourseStatus.BOOKED and data.start_time is not None:
        starts = ctx.caseload.live_chair_starts(ctx.session)
        key = (chair.id, data.scheduled_on, data.start_time)
        if key in starts:
            raise RowRefused(
                [
                    (
                        "chair",
                        f"chair {chair.code} is taken on "
                        f"{date_text(data.scheduled_on)} at "
                        f"{data.start_time:%H:%M} ({starts[key]})",
                    )
                ]
            )
    return CourseRow(
        scheduled_on=data.scheduled_on,
        start_time=data.start_time,
        status=status,
        days=data.days,
        chair_id=chair.id if chair else None,
        site=data.site,
        nurse_id=nurse.id if nurse else None,
        chair_minutes=minutes,
        dose_g=data.dose_g if given else None,
        product_id=product_id,
        regimen=regimen,
        lots=list(data.lots),
        reactions=data.reactions if given else None,
        premedication=data.premedication,
        notes=data.notes,
        cancel_reason=cancel_reason,
    )


def _course_rules(data: InfusionCreate, status: str, entry: PatientEntry, ctx: RowContext) -> None:
    # The booking service's rules, from the same plausibility module. History (given,
    # cancelled, missed) is recorded as it happened, so the rules about new bookings apply to
    # booked rows only; a cancelled or missed row need only lie within the patient's life.
    life = entry.life(ctx.today)
    if data.dose_g is not None:
        _plausible(lambda: check_course_dose(data.dose_g or 0, days=data.days))
    if status == CourseStatus.GIVEN:
        if data.dose_g is None:
            raise RowRefused([("dose_g", "dose_g is required when status is given")])
        _plausible(lambda: check_course_day(data.scheduled_on, given=True, life=life))
        _plausible(
            lambda: check_course_lots(
                [(lot.lot_number, lot.vials, lot.size_g, lot.expires_on) for lot in data.lots],
                dose_g=data.dose_g or 0,
                given_on=data.scheduled_on,
                confirmed=data.confirm_lot_total,
            )
        )
    elif data.lots:
        raise RowRefused([("lots", f"lots are recorded when the course is given, not {status}")])
    if status == CourseStatus.BOOKED:
        if entry.status == PatientStatus.DISCHARGED:
            raise RowRefused([("mrn", "the patient is discharged")])
        _plausible(lambda: check_course_day(data.scheduled_on, given=False, life=life))
    elif status != CourseStatus.GIVEN:
        _plausible(lambda: check_day_ahead(data.scheduled_on, life=life, field="scheduled_on"))
    if status in (CourseStatus.BOOKED, CourseStatus.GIVEN):
        _plausible(
            lambda: check_one_course_a_day(data.scheduled_on, data.days, entry.live_courses())
        )


@dataclass
class ScoreRow:
    """A score, with the course it belongs to (by key) when the row names one."""

    data: AssessmentCreate
    course: CourseRef | None


def check_score(row: dict[str, str], entry: PatientEntry, ctx: RowContext) -> ScoreRow:
    """A scores.csv row, as POST /patients/{id}/assessments checks it."""
    values = _without(row, "mrn")
    course_text = values.pop("course_on", None)
    data, problems = _validate(AssessmentCreate, values)
    course_on = None
    if course_text is not None:
        course_on = _problems_or_value(_DAY, course_text, "course_on", problems)
    if problems:
        raise RowRefused(problems)
    try:
        validate_score(data.measure, data.side, data.value)
    except ScoreError as exc:
        raise RowRefused([(exc.field, exc.message)]) from exc
    _plausible(
        lambda: check_day_in_life(data.taken_on, life=entry.life(ctx.today), field="taken_on")
    )
    course = None
    if course_on is not None:
        found = entry.courses.get(course_on, [])
        if not found:
            raise RowRefused(
                [("course_on", f"no course of MRN {entry.mrn} on {date_text(course_on)}")]
            )
        given = [ref for ref in found if ref.status == CourseStatus.GIVEN]
        course = given[0] if given else found[0]
    return ScoreRow(data=data, course=course)


def check_authorization(
    row: dict[str, str], entry: PatientEntry, ctx: RowContext
) -> AuthorizationCreate:
    """An authorizations.csv row, as POST /patients/{id}/authorizations checks it (the
    schema, then the plausibility of its period against the patient's birth date)."""
    data, problems = _validate(AuthorizationCreate, _without(row, "mrn"))
    if problems:
        raise RowRefused(problems)
    _plausible(
        lambda: check_authorization_period(
            starts_on=data.starts_on, ends_on=data.ends_on, born_on=entry.birth_date
        )
    )
    return data


def _estimated_minutes(
    entry: PatientEntry, day: date, dose_g: float | None, product_id: int | None, ctx: RowContext
) -> int:
    # As services.infusions.estimate_chair_minutes, on the weights the import knows (a dry
    # run has not stored them).
    product = ctx.caseload.products_by_id.get(product_id)
    return chair_minutes(
        dose_g=dose_g,
        weight_kg=entry.weight_on(day),
        concentration_percent=product.concentration_percent if product else None,
        max_rate_mg_per_kg_per_min=product.max_rate_mg_per_kg_per_min if product else None,
        start_rate_mg_per_kg_per_min=product.start_rate_mg_per_kg_per_min if product else None,
    )


def _product_id(code: str | None, ctx: RowContext, column: str) -> int | None:
    if code is None:
        return None
    product = ctx.caseload.products.get(code)
    if product is None or not product.active:
        raise RowRefused([(column, f"unknown product {code!r}")])
    return product.id


def _chair(code: str | None, ctx: RowContext):
    if code is None:
        return None
    chair = ctx.caseload.chairs.get(code)
    if chair is None or not chair.active:
        raise RowRefused([("chair", f"unknown chair {code!r}")])
    return chair


def _lots(cell: str) -> tuple[list[dict], Problems]:
    lots, problems = [], []
    names = ("lot_number", "vials", "size_g", "expires_on")
    for n, parts in enumerate(decode_lots(cell), start=1):
        if len(parts) > len(names):
            problems.append(("lots", f"lot {n}: write LOT:VIALS[:SIZE_G[:EXPIRES_ON]]"))
            continue
        lots.append({k: v for k, v in zip(names, parts, strict=False) if v})
    return lots, problems


def _plausible(check) -> None:
    try:
        check()
    except ImplausibleEntry as exc:
        raise RowRefused([(exc.field, exc.message)]) from exc


def _service_rule(check) -> None:
    _service_value(check)


def _service_value(check):
    try:
        return check()
    except ServiceError as exc:
        raise RowRefused([(exc.field or "row", exc.message)]) from exc


def _without(row: dict[str, str], column: str) -> dict[str, Any]:
    values: dict[str, Any] = dict(row)
    values.pop(column, None)
    return values


def _validate(model: type[BaseModel], values: dict[str, Any]) -> tuple[Any, Problems]:
    try:
        return model.model_validate(values, context=TEXT_SOURCE), []
    except ValidationError as exc:
        return None, _schema_problems(exc, list(values))


def _schema_problems(exc: ValidationError, columns: list[str]) -> Problems:
    problems = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        if not loc:  # a rule across fields: its message starts with the field it is about
            loc = [next((c for c in columns if message.startswith(c)), "row")]
        if loc[0] == "lots" and len(loc) > 1:
            detail = f" {loc[2]}" if len(loc) > 2 else ""
            message = f"lot {int(loc[1]) + 1}{detail}: {message}"
        problems.append((loc[0], message))
    return problems


def _problems(adapter: TypeAdapter, value: Any, column: str) -> Problems:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return [
            (column, e.get("msg", "invalid").removeprefix("Value error, ")) for e in exc.errors()
        ]
    return []


def _problems_or_value(adapter: TypeAdapter, value: Any, column: str, problems: Problems):
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problems += [
            (column, e.get("msg", "invalid").removeprefix("Value error, ")) for e in exc.errors()
        ]
        return None
