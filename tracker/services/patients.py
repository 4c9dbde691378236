"""Patients and their weights: create, read, change, search."""

from datetime import date
from typing import NamedTuple

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracker.rules import PolicyError, WeightChangeError, check_weight_change, latest_weight
from tracker.rules.hold import resumed_on_after, status_after_review
from tracker.rules.identity import mrn_key, same_person
from tracker.rules.plausibility import ImplausibleEntry, Life, check_weight_entry
from tracker.rules.wording import date_text
from tracker.schemas.patients import PatientCreate, PatientUpdate, WeightCreate
from tracker.services import audit, plain_sql
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.services.evaluation import refresh_state
from tracker.services.name_search import name_condition, search_text
from tracker.services.policy import load_policy
from tracker.store.ids import stored_id
from tracker.store.models import Patient, Weight
from tracker.store.types import utcnow


class WeightChangeUnconfirmed(Invalid):
    """A weight more than 10% from the previous one, not confirmed (422 on weight_kg)."""


def search_patients(
    session: Session, *, query: str = "", limit: int = 50, offset: int = 0
) -> tuple[int, list[Patient]]:
    """Patients whose MRN or name contains the query, by family name; (total, one page)."""
    stmt = select(Patient)
    needle = search_text(query)
    if needle:
        stmt = stmt.where(name_condition(session, needle, whole_names=True))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


def get_patient(session: Session, patient_id: int) -> Patient:
    """The patient with this id, or NotFound."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient with id {patient_id}")
    return patient


class LockedPatient(NamedTuple):
    """What a write checks of the patient whose row it has locked."""

    id: int
    status: str
    birth_date: date


def lock_patient(session: Session, patient_id: int) -> LockedPatient:
    """The patient with this id, or NotFound, its row locked to the end of the transaction
    (PostgreSQL: SELECT ... FOR UPDATE; SQLite writes one transaction at a time already).

    A write that checks the patient's other courses or funding takes it first, so two such
    writes for one patient are checked one after the other. Plain SQL, three columns: every
    booking and course given begins here.
    """
    lock = " FOR UPDATE" if session.get_bind().dialect.name == "postgresql" else ""
    found = plain_sql.first(
        session,
        f"SELECT id, status, birth_date FROM patient WHERE id = :id{lock}",
        {"id": patient_id},
        dates=(2,),
    )
    if found is None:
        raise NotFound(f"no patient with id {patient_id}")
    return LockedPatient(*found)


def life_of(session: Session, patient_id: int, *, today: date) -> Life:
    """The patient's life up to today, for checking a day entered; NotFound unless they
    exist (one plain read of the birth date, for a write that needs no more)."""
    found = plain_sql.first(
        session, "SELECT birth_date FROM patient WHERE id = :id", {"id": patient_id}, dates=(0,)
    )
    if found is None:
        raise NotFound(f"no patient with id {patient_id}")
    return Life(born_on=found[0], today=today)


def create_patient(
    session: Session, *, actor: Actor, data: PatientCreate, today: date, is_demo: bool = False
) -> Patient:
    """Register a patient; the MRN must be new (as compared: case and punctuation aside)."""
    _refuse_taken_mrn(session, data.mrn)
    check_own_bounds(session, data.min_interval_days, data.max_interval_days)
    patient = Patient(**data.model_dump(), mrn_key=mrn_key(data.mrn), is_demo=is_demo)
    session.add(patient)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request took the MRN first
        raise Conflict(f"a patient with MRN {data.mrn} exists", field="mrn") from exc
    audit.record(
        session,
        actor=actor,
        action="patient.create",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        changes=data.model_dump(),
    )
    refresh_state(session, patient_id=stored_id(patient), today=today)
    return patient


def _refuse_taken_mrn(session: Session, mrn: str, *, other_than: int | None = None) -> None:
    """Conflict naming `mrn` when another patient has this MRN, however it was typed."""
    stmt = select(Patient.mrn).where(Patient.mrn_key == mrn_key(mrn))
    if other_than is not None:
        stmt = stmt.where(Patient.id != other_than)
    taken = session.exec(stmt).first()
    if taken is not None:
        raise Conflict(f"a patient with MRN {taken} exists", field="mrn")


def likely_duplicates(
    session: Session,
    *,
    given_name: str,
    family_name: str,
    birth_date: date,
    other_than: int | None = None,
) -> list[Patient]:
    """Stored patients likely to be this person: same given and family name and birth date."""
    stmt = select(Patient).where(
        Patient.birth_date == birth_date,
        func.lower(Patient.family_name) == family_name.strip().lower(),
    )
    if other_than is not None:
        stmt = stmt.where(Patient.id != other_than)
    this = (given_name, family_name, birth_date)
    return [
        other
        for other in session.exec(stmt.order_by(Patient.id)).all()
        if same_person(this, (other.given_name, other.family_name, other.birth_date))
    ]


def possible_duplicates(session: Session, patient: Patient) -> list[int]:
    """Other patients likely to be this one (likely_duplicates), by id."""
    return [
        stored_id(other)
        for other in likely_duplicates(
            session,
            given_name=patient.given_name,
            family_name=patient.family_name,
            birth_date=patient.birth_date,
            other_than=patient.id,
        )
    ]


def check_own_bounds(session: Session, low: int | None, high: int | None) -> None:
    """Refuse own interval bounds that clash with the site's other bound (one given alone)."""
    try:
        load_policy(session).with_patient_bounds(low, high)
    except PolicyError as exc:
        raise Invalid(exc.message, field=exc.field) from exc


# What a patient's record holds dated: (table, date column, what it is called).
_DATED_RECORDS = (
    ("weight", "measured_on", "a weight"),
    ("infusion", "scheduled_on", "a course"),
    ("assessment", "taken_on", "a score"),
    ("regimen", "starts_on", "a regimen"),
    ("review", "reviewed_on", "a review"),
    ("diagnostic_assessment", "assessed_on", "a diagnostic assessment"),
    ("diagnostic_assessment", "symptom_onset_on", "the symptoms' onset"),
    ("funding_authorization", "starts_on", "a funding authorisation"),
    ("other_treatment", "started_on", "another treatment"),
)


def _refuse_birth_after_records(session: Session, patient_id: int, born_on: date) -> None:
    # Every dated record must lie within the patient's life, as each was checked when
    # written: a birth date moved later must not leave one before it.
    found = plain_sql.first(
        session,
        "SELECT day, what FROM ("
        + " UNION ALL ".join(
            f"SELECT min({column}) AS day, {n} AS what FROM {table} WHERE patient_id = :id"
            for n, (table, column, _what) in enumerate(_DATED_RECORDS)
        )
        + ") AS dated WHERE day < :born ORDER BY day LIMIT 1",
        {"id": patient_id, "born": born_on},
        dates=(0,),
    )
    if found is not None:
        first_on, n = found
        what = _DATED_RECORDS[n][2]
        raise Invalid(
            f"birth_date {date_text(born_on)} is after {what} on {date_text(first_on)}: "
            "every record must lie within the patient's life",
            field="birth_date",
        )


def update_patient(
    session: Session, *, actor: Actor, patient_id: int, data: PatientUpdate, today: date
) -> Patient:
    """Change the given fields of a patient."""
    patient = get_patient(session, patient_id)
    changes = data.model_dump(exclude_unset=True)
    for name in (
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "diagnosis",
        "status",
        "reminder_consent",
    ):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be emptied", field=name)
    if "mrn" in changes:
        _refuse_taken_mrn(session, changes["mrn"], other_than=stored_id(patient))
    if changes.get("birth_date") is not None:
        _refuse_birth_after_records(session, stored_id(patient), changes["birth_date"])
    low = changes.get("min_interval_days", patient.min_interval_days)
    high = changes.get("max_interval_days", patient.max_interval_days)
    if low is not None and high is not None and low > high:
        raise Invalid(
            "min_interval_days must not be above max_interval_days", field="min_interval_days"
        )
    check_own_bounds(session, low, high)
    if "status" in changes:
        changes["resumed_on"] = resumed_on_after(
            patient.status, changes["status"], today=today, resumed_on=patient.resumed_on
        )
    before = {k: getattr(patient, k) for k in changes}
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patient.update",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        changes=audit.diff(before, changes),
    )
    refresh_state(session, patient_id=stored_id(patient), today=today)
    return patient


def put_on_hold_after_review(
    session: Session, *, actor: Actor, patient_id: int, outcome: str, today: date
) -> None:
    """A review that stops treatment puts the patient on hold (audited as a change)."""
    patient = get_patient(session, patient_id)
    status = status_after_review(outcome, patient.status)
    if status == patient.status:
        return
    before = patient.status
    patient.status = status
    patient.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patient.update",
        entity="patient",
        entity_id=patient.id,
        patient_id=patient.id,
        changes={"status": [before, status], "reason": "review outcome stop"},
    )


def add_weight(
    session: Session, *, actor: Actor, patient_id: int, data: WeightCreate, today: date
) -> Weight:
    """Record a weight; one more than 10% from the previous is kept only when confirmed."""
    patient = get_patient(session, patient_id)
    try:
        check_weight_entry(
            measured_on=data.measured_on,
            weight_kg=data.weight_kg,
            life=Life(born_on=patient.birth_date, today=today),
        )
    except ImplausibleEntry as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    try:
        change = check_weight_change(
            _weights_on_or_before(session, patient_id=patient_id, day=data.measured_on),
            measured_on=data.measured_on,
            weight_kg=data.weight_kg,
            confirmed=data.confirm_weight_change,
        )
    except WeightChangeError as exc:
        raise WeightChangeUnconfirmed(exc.message, field=exc.field) from exc
    weight = Weight(
        patient_id=patient_id,
        measured_on=data.measured_on,
        weight_kg=data.weight_kg,
        recorded_by_id=actor.id,
    )
    session.add(weight)
    session.flush()
    changes = data.model_dump(exclude={"confirm_weight_change"})
    if change is not None and change.needs_confirmation:
        # What the person confirmed, kept with who confirmed it.
        changes |= {
            "confirm_weight_change": True,
            "previous_weight_kg": change.previous_kg,
            "previous_measured_on": change.previous_on.isoformat(),
            "change_percent": round(change.fraction * 100, 1),
        }
    audit.record(
        session,
        actor=actor,
        action="weight.create",
        entity="weight",
        entity_id=weight.id,
        patient_id=patient_id,
        changes=changes,
    )
    refresh_state(session, patient_id=patient_id, today=today)
    return weight


def weights(session: Session, *, patient_id: int) -> list[Weight]:
    """A patient's weights, oldest first."""
    return list(
        session.exec(
            select(Weight)
            .where(Weight.patient_id == patient_id)
            .order_by(Weight.measured_on, Weight.id)
        ).all()
    )


# Built once, bound at each call: every booking asks it (docs/write-profile.md, round four).
_WEIGHTS_UP_TO = (
    select(Weight)
    .where(Weight.patient_id == bindparam("patient_id"), Weight.measured_on <= bindparam("day"))
    .order_by(Weight.id)
)


def weight_on(session: Session, *, patient_id: int, day: date) -> Weight | None:
    """The weight that counts on `day` (the rules' latest_weight), or None."""
    rows = session.exec(_WEIGHTS_UP_TO, params={"patient_id": patient_id, "day": day}).all()
    return latest_weight(rows, day, measured_on=lambda w: w.measured_on)


def _weights_on_or_before(
    session: Session, *, patient_id: int, day: date
) -> list[tuple[date, float]]:
    # The candidates in the order recorded; the rules choose among them. Plain SQL: every
    # booking asks (services.plain_sql).
    return plain_sql.rows(
        session,
        "SELECT measured_on, weight_kg FROM weight "
        "WHERE patient_id = :patient_id AND measured_on <= :day ORDER BY id",
        {"patient_id": patient_id, "day": day},
        dates=(0,),
    )


def weight_kg_on(session: Session, *, patient_id: int, day: date) -> float | None:
    """The weight in kg that counts on `day` (the rules' latest_weight), or None: values
    only, for a booking's chair time (loading the weights as rows cost more than the SQL)."""
    found = latest_weight(_weights_on_or_before(session, patient_id=patient_id, day=day), day)
    return found[1] if found else None
