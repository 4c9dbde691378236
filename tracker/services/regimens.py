"""Regimens: written with their dose calculation, never edited, only followed."""

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from tracker.formats.display import date_text
from tracker.rules import (
    DoseCalculation,
    DosingError,
    RegimenFact,
    SitePolicy,
    VialPlan,
    calculate_dose,
    intensity_g_per_kg_28d,
    latest_weight,
    vial_plan,
)
from tracker.rules.plausibility import ImplausibleEntry, Life, check_regimen_entry
from tracker.rules.prescription import RegimenError, check_regimen
from tracker.rules.subcutaneous import ConversionError, ScConversion, convert_to_sc
from tracker.rules.vocabulary import CourseStatus, Route
from tracker.rules.weights import stale_weight_note
from tracker.rules.window import current_regimen
from tracker.schemas.treatment import ConvertToSc, RegimenCreate
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid, NotFound, ServiceError
from tracker.services.evaluation import refresh_state
from tracker.services.patients import get_patient, weight_on
from tracker.services.policy import load_policy
from tracker.store.ids import stored_id
from tracker.store.models import Infusion, Patient, Product, Regimen, Weight

# Built once, bound at each call: every booking asks it (docs/write-profile.md, round four).
_PRODUCT_BY_CODE = select(Product).where(Product.code == bindparam("code"))


def product_by_code(
    session: Session, code: str | None, *, field: str = "product_code"
) -> Product | None:
    """The product with this code (None for None), or Invalid naming the field."""
    if code is None:
        return None
    product = session.exec(_PRODUCT_BY_CODE, params={"code": code}).first()
    if product is None or not product.active:
        raise Invalid(f"unknown product {code!r}", field=field)
    return product


def calculate_for(
    session: Session,
    *,
    patient: Patient,
    dose_g_per_kg: float,
    days_per_course: int,
    weight_basis: str,
    day: date,
    policy: SitePolicy,
) -> DoseCalculation:
    """The dose for the patient's weight that counts on `day` (the latest on or before it)."""
    return weighed_calculation(
        session,
        patient=patient,
        dose_g_per_kg=dose_g_per_kg,
        days_per_course=days_per_course,
        weight_basis=weight_basis,
        day=day,
        policy=policy,
    )[1]


def weighed_calculation(
    session: Session,
    *,
    patient: Patient,
    dose_g_per_kg: float,
    days_per_course: int,
    weight_basis: str,
    day: date,
    policy: SitePolicy,
) -> tuple[Weight, DoseCalculation]:
    """The weight that counts on `day` and the dose calculated on it."""
    weight = weight_on(session, patient_id=stored_id(patient), day=day)
    if weight is None:
        raise Invalid(
            f"no weight recorded on or before {date_text(day)}: record a weight first",
            field="starts_on",
        )
    try:
        return weight, calculate_dose(
            sex=patient.sex,
            height_cm=patient.height_cm,
            weight_kg=weight.weight_kg,
            dose_g_per_kg=dose_g_per_kg,
            days_per_course=days_per_course,
            basis=weight_basis,
            policy=policy,
        )
    except DosingError as exc:
        raise Invalid(exc.message, field=exc.field) from exc


def dose_on_latest_weight(
    session: Session,
    *,
    patient: Patient,
    regimen: dict[str, Any] | None,
    today: date,
    policy: SitePolicy,
) -> dict[str, Any] | None:
    """The dose the regimen would give on the latest weight, when it is not the stored dose.

    A regimen keeps the dose calculated when it was written; a weight recorded since may give
    another (the rules' calculate_dose, as a new regimen would be written). None when the
    doses agree or there is nothing to compare.
    """
    if regimen is None or not regimen.get("dose_g") or regimen.get("route") == Route.SC:
        return None  # (an SC regimen's grams are fixed, not per kg)
    try:
        weight, calc = weighed_calculation(
            session,
            patient=patient,
            dose_g_per_kg=regimen["dose_g_per_kg"],
            days_per_course=regimen["days_per_course"],
            weight_basis=regimen["weight_basis"],
            day=today,
            policy=policy,
        )
    except ServiceError:
        return None
    if abs(calc.dose_g - regimen["dose_g"]) < 1e-9:
        return None
    return {
        "weight_kg": weight.weight_kg,
        "measured_on": weight.measured_on,
        "dose_g": calc.dose_g,
        "stored_dose_g": regimen["dose_g"],
    }


def check_regimen_limits(
    *,
    dose_g_per_kg: float,
    interval_days: int,
    override_reason: str | None,
    policy: SitePolicy,
    route: str = Route.IV,
) -> None:
    """Refuse a regimen above the cap or outside the interval bounds, unless overridden;
    an SC regimen every 7 or 14 days only, with no IV bounds."""
    try:
        check_regimen(
            dose_g_per_kg=dose_g_per_kg,
            interval_days=interval_days,
            policy=policy,
            override_reason=override_reason,
            route=route,
        )
    except RegimenError as exc:
        if not exc.overridable:
            raise Invalid(exc.message, field=exc.field) from exc
        raise Invalid(
            f"{exc.message}: give an override_reason to prescribe it", field=exc.field
        ) from exc


def create_regimen(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    data: RegimenCreate,
    today: date,
    from_action: str | None = None,
) -> Regimen:
    """Write a new regimen with its dose calculation (it follows the current one)."""
    patient = get_patient(session, patient_id)
    try:
        check_regimen_entry(
            starts_on=data.starts_on,
            dose_g_per_kg=data.dose_g_per_kg,
            life=Life(born_on=patient.birth_date, today=today),
        )
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    policy = load_policy(session).with_patient_bounds(
        patient.min_interval_days, patient.max_interval_days
    )
    check_regimen_limits(
        dose_g_per_kg=data.dose_g_per_kg,
        interval_days=data.interval_days,
        override_reason=data.override_reason,
        policy=policy,
        route=data.route,
    )
    product = product_by_code(session, data.product_code)
    weight, calc = weighed_calculation(
        session,
        patient=patient,
        dose_g_per_kg=data.dose_g_per_kg,
        days_per_course=data.days_per_course,
        weight_basis=data.weight_basis,
        # The latest weight on the day the regimen is written (or, for one entered after
        # the fact, on its start day).
        day=min(data.starts_on, today),
        # An SC dose is rounded to its own step (sc_dose_rounding_g, 1 g by default).
        policy=policy.for_route(data.route),
    )
    regimen = Regimen(
        patient_id=patient_id,
        starts_on=data.starts_on,
        dose_g_per_kg=data.dose_g_per_kg,
        interval_days=data.interval_days,
        days_per_course=data.days_per_course,
        route=data.route,
        product_id=product.id if product else None,
        weight_basis=data.weight_basis,
        reason=data.reason,
        override_reason=data.override_reason,
        dosing_weight_kg=calc.dosing_weight_kg,
        weight_basis_used=calc.weight_basis_used,
        dose_g=calc.dose_g,
        actual_weight_kg=weight.weight_kg,
        weight_note="; ".join(
            filter(
                None,
                (
                    calc.note,
                    stale_weight_note(
                        weight.measured_on,
                        min(data.starts_on, today),
                        weight_stale_days=policy.weight_stale_days,
                    ),
                ),
            )
        ),
        from_action=from_action,
        created_by_id=actor.id,
    )
    session.add(regimen)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="regimen.create",
        entity="regimen",
        entity_id=regimen.id,
        patient_id=patient_id,
        changes={**data.model_dump(), "dose_g": calc.dose_g},
    )
    refresh_state(session, patient_id=patient_id, today=today)
    return regimen


def regimens(session: Session, *, patient_id: int) -> list[Regimen]:
    """A patient's regimens in the order they start."""
    get_patient(session, patient_id)
    return list(
        session.exec(
            select(Regimen)
            .where(Regimen.patient_id == patient_id)
            .order_by(Regimen.starts_on, Regimen.id)
        ).all()
    )


def get_regimen(session: Session, regimen_id: int) -> Regimen:
    """The regimen with this id, or NotFound."""
    regimen = session.get(Regimen, regimen_id)
    if regimen is None:
        raise NotFound(f"no regimen with id {regimen_id}")
    return regimen


def regimen_view(session: Session, regimen: Regimen) -> dict[str, Any]:
    """A regimen as the API and pages show it: with intensity, vials and the weight note."""
    return regimen_views(session, [regimen])[0]


def regimen_views(session: Session, regimens: Sequence[Regimen]) -> list[dict[str, Any]]:
    """Several regimens as shown, reading the products once (and, for old rows, weights)."""
    if not regimens:
        return []
    products = {p.id: p for p in session.exec(select(Product))}
    notes = _notes_of_old_rows(session, [r for r in regimens if r.weight_note is None])
    return [
        _view(r, products.get(r.product_id), notes.get(stored_id(r), r.weight_note or ""))
        for r in regimens
    ]


def _notes_of_old_rows(session: Session, old: Sequence[Regimen]) -> dict[int, str]:
    # Regimens written before the note was kept: calculated again on the regimen's own weight
    # (the latest on or before the day it was calculated for, among those recorded by then),
    # and shown only when that gives the dosing weight the regimen stored.
    if not old:
        return {}
    policy = load_policy(session)
    patient_ids = {r.patient_id for r in old}
    patients = {p.id: p for p in session.exec(select(Patient).where(Patient.id.in_(patient_ids)))}
    weighed: dict[int, list[Weight]] = {}
    for weight in session.exec(
        select(Weight).where(Weight.patient_id.in_(patient_ids)).order_by(Weight.id)
    ):
        weighed.setdefault(weight.patient_id, []).append(weight)
    notes: dict[int, str] = {}
    for regimen in old:
        known = [
            w for w in weighed.get(regimen.patient_id, []) if w.recorded_at <= regimen.created_at
        ]
        own = latest_weight(
            known,
            min(regimen.starts_on, regimen.created_at.date()),
            measured_on=lambda w: w.measured_on,
        )
        if own is None or not regimen.dose_g:
            continue
        patient = patients[regimen.patient_id]
        try:
            calc = calculate_dose(
                sex=patient.sex,
                height_cm=patient.height_cm,
                weight_kg=own.weight_kg,
                dose_g_per_kg=regimen.dose_g_per_kg,
                days_per_course=regimen.days_per_course,
                basis=regimen.weight_basis,
                policy=policy,
            )
        except DosingError:
            continue
        if calc.dosing_weight_kg == regimen.dosing_weight_kg:
            notes[stored_id(regimen)] = calc.note
    return notes


def _view(regimen: Regimen, product: Product | None, note: str) -> dict[str, Any]:
    plan = _vial_plan(regimen.dose_g, product.vial_sizes) if product and regimen.dose_g else None
    return {
        "id": regimen.id,
        "patient_id": regimen.patient_id,
        "starts_on": regimen.starts_on,
        "dose_g_per_kg": regimen.dose_g_per_kg,
        "interval_days": regimen.interval_days,
        "days_per_course": regimen.days_per_course,
        "product_code": product.code if product else None,
        "weight_basis": regimen.weight_basis,
        "reason": regimen.reason,
        "override_reason": regimen.override_reason,
        "dosing_weight_kg": regimen.dosing_weight_kg,
        "weight_basis_used": regimen.weight_basis_used,
        "actual_weight_kg": regimen.actual_weight_kg,
        "weight_note": note,
        "dose_g": regimen.dose_g,
        "dose_g_per_day": round(regimen.dose_g / regimen.days_per_course, 2)
        if regimen.dose_g
        else None,
        "intensity_g_per_kg_28d": round(
            intensity_g_per_kg_28d(regimen.dose_g_per_kg, regimen.interval_days), 3
        ),
        "vials": [{"size_g": v.size_g, "count": v.count} for v in plan.vials] if plan else [],
        "vial_waste_g": plan.waste_g if plan else None,
        "from_action": regimen.from_action,
        "route": regimen.route,
    }


@lru_cache(maxsize=4096)
def _vial_plan(dose_g: float, vial_sizes_g: tuple[float, ...]) -> VialPlan:
    # The search runs over tenths of a gram and costs milliseconds for big doses; a site has
    # few distinct (dose, product) pairs, and the answer never changes.
    return vial_plan(dose_g, vial_sizes_g)


def sc_conversion(
    session: Session, *, patient_id: int, data: ConvertToSc, today: date
) -> tuple[Regimen, ScConversion, float]:
    """Converting the current IV regimen to SCIG, with nothing saved: the IV regimen, the
    arithmetic (clinical rules 9) and the SC dose per kg of the IV regimen's dosing weight.

    Conflict when there is no IV regimen with a dose in grams to convert."""
    get_patient(session, patient_id)
    if data.on is not None and data.on < today:
        # The regimen converted is the one current on `on`, while the SC regimen starts no
        # earlier than the next IV course due: a past day converted an old regimen (an
        # induction dose, say) into a new SC one.
        raise Invalid(
            f"on {date_text(data.on)} is in the past: a conversion takes effect today or later",
            field="on",
        )
    on = data.on or today
    rows = regimens(session, patient_id=patient_id)
    current = current_regimen(
        (
            RegimenFact(stored_id(r), r.starts_on, r.dose_g_per_kg, r.interval_days, route=r.route)
            for r in rows
        ),
        on,
    )
    if current is None:
        raise Conflict("no regimen to convert: write the IV regimen first", field="regimen")
    if current.subcutaneous:
        raise Conflict("the current regimen is already subcutaneous", field="regimen")
    iv = next(r for r in rows if r.id == current.id)
    if not iv.dose_g or not iv.dosing_weight_kg:
        raise Conflict(
            "the current IV regimen has no dose in grams to convert: write it again on a "
            "recorded weight",
            field="regimen",
        )
    policy = load_policy(session)
    try:
        conversion = convert_to_sc(
            iv_dose_g=iv.dose_g,
            iv_interval_days=iv.interval_days,
            sc_interval_days=data.interval_days,
            on=on,
            last_given_on=_last_given_on(session, patient_id=patient_id, on=max(on, today)),
            policy=policy,
        )
    except ConversionError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    return iv, conversion, conversion.sc_dose_g / iv.dosing_weight_kg


def convert_to_sc_regimen(
    session: Session, *, actor: Actor, patient_id: int, data: ConvertToSc, today: date
) -> Regimen:
    """Write the SC regimen that follows the current IV one (clinical rules 9).

    Its dose is the converted grams, fixed (`dose_g`); `dose_g_per_kg` is those grams over
    the IV regimen's dosing weight, so its intensity reads as the IV one's did. An IV
    override reason is carried over where the SC regimen is still above the cap."""
    iv, conversion, per_kg = sc_conversion(session, patient_id=patient_id, data=data, today=today)
    patient = get_patient(session, patient_id)
    policy = load_policy(session).with_patient_bounds(
        patient.min_interval_days, patient.max_interval_days
    )
    check_regimen_limits(
        dose_g_per_kg=per_kg,
        interval_days=conversion.sc_interval_days,
        override_reason=iv.override_reason,
        policy=policy,
        route=Route.SC,
    )
    arithmetic = conversion.describe()
    regimen = Regimen(
        patient_id=patient_id,
        starts_on=conversion.starts_on,
        dose_g_per_kg=per_kg,
        interval_days=conversion.sc_interval_days,
        days_per_course=1,
        route=Route.SC,
        weight_basis=iv.weight_basis,
        reason=f"converted from IV: {arithmetic}"[:500],
        override_reason=iv.override_reason,
        dosing_weight_kg=iv.dosing_weight_kg,
        weight_basis_used=iv.weight_basis_used,
        dose_g=conversion.sc_dose_g,
        actual_weight_kg=iv.actual_weight_kg,
        weight_note=(
            f"a fixed SC dose of {conversion.sc_dose_g:g} g converted from IV regimen "
            f"{iv.id}; per kg of its dosing weight {iv.dosing_weight_kg:.2f} kg"
        ),
        created_by_id=actor.id,
    )
    session.add(regimen)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="regimen.convert_to_sc",
        entity="regimen",
        entity_id=regimen.id,
        patient_id=patient_id,
        changes={
            "from_regimen_id": iv.id,
            "interval_days": conversion.sc_interval_days,
            "on": (data.on or today).isoformat(),
            "starts_on": conversion.starts_on.isoformat(),
            "dose_g": conversion.sc_dose_g,
            "arithmetic": arithmetic,
        },
    )
    refresh_state(session, patient_id=patient_id, today=today)
    return regimen


def _last_given_on(session: Session, *, patient_id: int, on: date) -> date | None:
    # As infusions.last_given_on (which imports this module, so it cannot be imported here).
    return session.exec(
        select(func.max(Infusion.scheduled_on)).where(
            Infusion.patient_id == patient_id,
            Infusion.status == CourseStatus.GIVEN,
            Infusion.scheduled_on <= on,
        )
    ).one()
