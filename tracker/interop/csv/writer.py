"""Writing checked CSV rows in bulk, then evaluating and auditing the patients they touched."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, time, timedelta

from tracker.formats.display import date_text
from tracker.interop.csv import rows as csv_rows
from tracker.interop.csv.caseload import CourseRef, PatientEntry, RegimenEntry
from tracker.interop.csv.rows import RowContext
from tracker.rules.chairs import chair_span, spans_clash
from tracker.rules.identity import mrn_key
from tracker.rules.vocabulary import CourseStatus
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.evaluation import refresh_states
from tracker.services.imports import courses_holding_chairs, insert_rows, insert_rows_with_ids
from tracker.store.models import (
    Assessment,
    FundingAuthorization,
    Infusion,
    InfusionLot,
    Patient,
    Regimen,
    Weight,
)
from tracker.store.types import utcnow

BATCH_ROWS = 5000
MAX_WARNINGS = 500


class FileWriter:
    """Checks rows of one kind, keeps what later rows need, and writes them in batches."""

    def __init__(self, kind: str, ctx: RowContext, *, actor: Actor, write: bool, name: str) -> None:
        self.kind, self.ctx, self.actor, self.write, self.name = kind, ctx, actor, write, name
        self.pending: list[tuple] = []
        self.per_patient: Counter[str] = Counter()
        self.created: list[tuple[PatientEntry, dict]] = []
        self.bookings: list[tuple[int, int, date, time | None, int, int]] = []
        self.held: dict[tuple[int, date], list[tuple[int, int, str]]] = defaultdict(list)
        self.now = utcnow()
        if kind == "courses":
            self._hold_stored()

    def add(self, row: dict[str, str], line: int, *, keep: bool) -> None:
        """Check one row (RowRefused if it breaks a rule) and queue it for writing."""
        ctx = self.ctx
        if self.kind == "patients":
            checked = csv_rows.check_patient(row, ctx)
            entry = self._new_patient(checked)
            item = (entry, checked)
        else:
            entry = csv_rows.patient_of(row, ctx)
            item = (entry, self._check(row, entry, line))
        self.per_patient[entry.mrn] += 1
        if self.write and keep:
            self.pending.append(item)
            if len(self.pending) >= BATCH_ROWS:
                self._flush()

    def finish(self, sha256: str) -> list[tuple[int, str, str]]:
        """Write what is left, evaluate and audit the touched patients; the warnings."""
        warnings = self._overlaps() if self.kind == "courses" else []
        if not self.write:
            return warnings
        self._flush()
        entries = [self.ctx.caseload.patients[mrn_key(mrn)] for mrn in self.per_patient]
        refresh_states(self.ctx.session, [e.key for e in entries], today=self.ctx.today)
        self._audit(entries, sha256)
        return warnings

    # --- checking, and what later rows need -------------------------------------------

    def _new_patient(self, checked: csv_rows.PatientRow) -> PatientEntry:
        data = checked.data
        entry = PatientEntry(
            key=self.ctx.caseload.stand_in(),
            mrn=data.mrn,
            birth_date=data.birth_date,
            sex=data.sex,
            height_cm=data.height_cm,
            status=checked.status,
            min_interval_days=data.min_interval_days,
            max_interval_days=data.max_interval_days,
            stored=False,
        )
        self.ctx.caseload.patients[mrn_key(data.mrn)] = entry
        return entry

    def _check(self, row: dict[str, str], entry: PatientEntry, line: int):
        ctx = self.ctx
        if self.kind == "weights":
            data = csv_rows.check_weight(row, entry, ctx)
            entry.add_weight(data.measured_on, data.weight_kg)
            return data
        if self.kind == "regimens":
            checked = csv_rows.check_regimen(row, entry, ctx)
            d = checked.data
            regimen = RegimenEntry(
                ctx.caseload.stand_in(),
                d.starts_on,
                d.dose_g_per_kg,
                d.interval_days,
                checked.product_id,
                checked.calc.dose_g,
            )
            entry.regimens.append(regimen)
            return checked, regimen
        if self.kind == "courses":
            course = csv_rows.check_course(row, entry, ctx)
            ref = CourseRef(ctx.caseload.stand_in(), course.status, course.days)
            entry.courses[course.scheduled_on].append(ref)
            if course.status == CourseStatus.GIVEN and course.chair_id is not None:
                self._hold(
                    course.chair_id,
                    course.scheduled_on,
                    course.start_time,
                    course.chair_minutes,
                    course.days,
                    f"line {line}",
                )
            if course.status == CourseStatus.BOOKED and course.chair_id is not None:
                if course.start_time is not None:
                    ctx.caseload.chair_starts[
                        (course.chair_id, course.scheduled_on, course.start_time)
                    ] = f"line {line} of {self.name}"
                self.bookings.append(
                    (
                        line,
                        course.chair_id,
                        course.scheduled_on,
                        course.start_time,
                        course.chair_minutes,
                        course.days,
                    )
                )
            return course, ref
        if self.kind == "authorizations":
            return csv_rows.check_authorization(row, entry, ctx)
        return csv_rows.check_score(row, entry, ctx)

    # --- writing ----------------------------------------------------------------------

    def _flush(self) -> None:
        if not self.pending:
            return
        items, self.pending = self.pending, []
        session, actor, now = self.ctx.session, self.actor, self.now
        if self.kind == "patients":
            rows = [
                {
                    **c.data.model_dump(),
                    "mrn_key": mrn_key(c.data.mrn),
                    "status": c.status,
                    "is_demo": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for _, c in items
            ]
            ids = insert_rows_with_ids(session, Patient, rows)
            for (entry, checked), new_id in zip(items, ids, strict=True):
                entry.key = new_id
                self.created.append((entry, checked.data.model_dump()))
        elif self.kind == "weights":
            insert_rows(
                session,
                Weight,
                [
                    {
                        "patient_id": e.key,
                        "measured_on": d.measured_on,
                        "weight_kg": d.weight_kg,
                        "recorded_by_id": actor.id,
                        "recorded_at": now,
                    }
                    for e, d in items
                ],
            )
        elif self.kind == "regimens":
            rows = [_regimen_row(e, checked, actor, now) for e, (checked, _) in items]
            ids = insert_rows_with_ids(session, Regimen, rows)
            for (_, (_, regimen)), new_id in zip(items, ids, strict=True):
                regimen.key = new_id
        elif self.kind == "courses":
            rows = [_course_row(e, course, actor, now) for e, (course, _) in items]
            ids = insert_rows_with_ids(session, Infusion, rows)
            lots = []
            for (_, (course, ref)), new_id in zip(items, ids, strict=True):
                ref.key = new_id
                lots += [{"infusion_id": new_id, **lot.model_dump()} for lot in course.lots]
            insert_rows(session, InfusionLot, lots)
        elif self.kind == "authorizations":
            insert_rows(
                session,
                FundingAuthorization,
                [
                    {
                        "patient_id": e.key,
                        **d.model_dump(),
                        "recorded_by_id": actor.id,
                        "recorded_at": now,
                        "updated_at": now,
                    }
                    for e, d in items
                ],
            )
        else:
            insert_rows(
                session,
                Assessment,
                [
                    {
                        "patient_id": e.key,
                        **s.data.model_dump(exclude={"infusion_id"}),
                        "infusion_id": s.course.key if s.course else None,
                        "recorded_by_id": actor.id,
                        "recorded_at": now,
                    }
                    for e, s in items
                ],
            )

    def _audit(self, entries: Sequence[PatientEntry], sha256: str) -> None:
        session, actor = self.ctx.session, self.actor
        # The same entry the API writes for each new patient, then one per patient and file
        # saying how many rows it brought, and one for the file as a whole.
        for entry, data in self.created:
            audit.record(
                session,
                actor=actor,
                action="patient.create",
                entity="patient",
                entity_id=entry.key,
                patient_id=entry.key,
                changes={**data, "source": self.name},
            )
        if self.kind != "patients":
            for entry in entries:
                audit.record(
                    session,
                    actor=actor,
                    action=f"import.{self.kind}",
                    entity=self.kind,
                    patient_id=entry.key,
                    changes={"rows": self.per_patient[entry.mrn], "source": self.name},
                )
        audit.record(
            session,
            actor=actor,
            action="import.file",
            entity="import",
            changes={
                "file": self.name,
                "kind": self.kind,
                "rows": sum(self.per_patient.values()),
                "patients": len(self.per_patient),
                "sha256": sha256,
            },
        )

    def _hold_stored(self) -> None:
        # Bookings cannot be in the past, so only courses from a few days back (a course
        # lasts up to 5 days) can overlap them; read before this file writes any course.
        since = self.ctx.today - timedelta(days=5)
        for i in courses_holding_chairs(self.ctx.session, since=since):
            if i.chair_id is None:  # the query reads only courses on a chair
                raise ValueError(f"course {i.id} holds no chair")
            self._hold(
                i.chair_id,
                i.scheduled_on,
                i.start_time,
                i.chair_minutes,
                i.days,
                "an existing booking",
            )

    def _hold(
        self, chair_id: int, day: date, start: time | None, minutes: int | None, days: int, who: str
    ) -> None:
        begin, end = chair_span(start, minutes)
        for offset in range(days):
            self.held[(chair_id, day + timedelta(days=offset))].append((begin, end, who))

    def _overlaps(self) -> list[tuple[int, str, str]]:
        # The booking service refuses a booking that overlaps another on the same chair; an
        # import records the bookings another system already made, and says where two
        # overlap so that someone can move one.
        codes = {c.id: c.code for c in self.ctx.caseload.chairs.values()}
        warnings: list[tuple[int, str, str]] = []
        for line, chair_id, day, start, minutes, days in self.bookings:
            span = chair_span(start, minutes)
            clashes = (
                (key[1], who)
                for key in ((chair_id, day + timedelta(days=offset)) for offset in range(days))
                for b, e, who in self.held[key]
                if spans_clash(span, (b, e))
            )
            clash = next(clashes, None)
            if clash is not None and len(warnings) < MAX_WARNINGS:
                warnings.append(
                    (
                        line,
                        "chair",
                        f"chair {codes.get(chair_id)} is also held "
                        f"on {date_text(clash[0])} by {clash[1]}",
                    )
                )
            self._hold(chair_id, day, start, minutes, days, f"line {line}")
        return warnings


def _regimen_row(entry: PatientEntry, checked: csv_rows.RegimenRow, actor: Actor, now) -> dict:
    d, calc = checked.data, checked.calc
    return {
        "patient_id": entry.key,
        "starts_on": d.starts_on,
        "dose_g_per_kg": d.dose_g_per_kg,
        "interval_days": d.interval_days,
        "days_per_course": d.days_per_course,
        "product_id": checked.product_id,
        "weight_basis": d.weight_basis,
        "reason": d.reason,
        "override_reason": d.override_reason,
        "route": d.route,
        "dosing_weight_kg": calc.dosing_weight_kg,
        "weight_basis_used": calc.weight_basis_used,
        "dose_g": calc.dose_g,
        "actual_weight_kg": checked.weight_kg,
        "weight_note": calc.note,
        "from_action": None,
        "created_by_id": actor.id,
        "created_at": now,
    }


def _course_row(entry: PatientEntry, c: csv_rows.CourseRow, actor: Actor, now) -> dict:
    return {
        "patient_id": entry.key,
        "regimen_id": c.regimen.key if c.regimen else None,
        "scheduled_on": c.scheduled_on,
        "start_time": c.start_time,
        "chair_id": c.chair_id,
        "site": c.site,
        "nurse_id": c.nurse_id,
        "days": c.days,
        "chair_minutes": c.chair_minutes,
        "status": c.status,
        "dose_g": c.dose_g,
        "product_id": c.product_id,
        "reactions": c.reactions,
        "premedication": c.premedication,
        "notes": c.notes,
        "given_by_id": actor.id if c.status == CourseStatus.GIVEN else None,
        "given_at": None,
        "cancel_reason": c.cancel_reason,
        "cancelled_at": None,
        "created_by_id": actor.id,
        "created_at": now,
        "updated_at": now,
    }
