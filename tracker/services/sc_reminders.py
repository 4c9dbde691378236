"""The weekly (or fortnightly) reminder of a self-infusing patient's SC day (clinical rules 9).

On the day the rules' evaluation says the next SC course is due, the sweep writes one e-mail
to each active, consenting patient whose current regimen is SC: a first name and a day, no
product and no dose. Who is due is one read of the stored evaluations (`patient_state`,
refreshed by the sweep for the day just before), never a look-up per patient, so the sweep
stays fast at 100,000 patients; the deduplication key (patient and due day) makes it once.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from tracker.formats.email import long_date, render_email
from tracker.rules.vocabulary import CareSite, PatientStatus, Route
from tracker.services import outbox
from tracker.settings import Settings
from tracker.store.models import Infusion, Patient, PatientState, Regimen
from tracker.store.models.interop import DiaryLink


@dataclass(frozen=True)
class ScDay:
    """A patient whose SC course is due on the day, as the reminder needs them."""

    patient_id: int
    first_name: str
    email: str
    due_on: date
    has_diary: bool


def due_sc_days(session: Session, *, on: date) -> list[ScDay]:
    """The reachable patients whose current regimen is SC and whose next course is due `on`."""
    live_diary = exists().where(
        DiaryLink.patient_id == Patient.id,
        col(DiaryLink.revoked_at).is_(None),
        DiaryLink.expires_on >= on,
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel's select() is typed for 4 columns
            Patient.id, Patient.given_name, Patient.email, PatientState.due_on, live_diary
        )
        .join(PatientState, PatientState.patient_id == Patient.id)
        .join(Regimen, Regimen.id == PatientState.regimen_id)
        .outerjoin(Infusion, Infusion.id == PatientState.next_booking_id)
        .where(
            PatientState.due_on == on,
            Regimen.route == Route.SC,
            Patient.status == PatientStatus.ACTIVE,
            Patient.reminder_consent,
            col(Patient.email).is_not(None),
            # A course booked that day in the centre or with a nurse has its own reminder:
            # this one is for the day the patient infuses alone.
            or_(
                col(PatientState.next_booking_on).is_(None),
                PatientState.next_booking_on != on,
                and_(col(Infusion.id).is_not(None), Infusion.site == CareSite.SELF),
            ),
        )
        .order_by(Patient.id)
    ).all()
    return [
        ScDay(pid, name, email.strip(), due_on, bool(diary))
        for pid, name, email, due_on, diary in rows
        if email and email.strip()
    ]


def queue_sc_reminders(session: Session, *, on: date, settings: Settings) -> int:
    """Remind each self-infusing patient whose SC course is due `on`; how many were new.

    In bulk, as the course reminders are: one read of who is due, one of the keys already
    in the outbox, one insert of the new rows (a key written already, whatever became of
    it, is skipped: once per patient and day). Only the new ones are rendered.
    """
    due = due_sc_days(session, on=on)
    keys = [outbox.sc_reminder_key(d.patient_id, d.due_on) for d in due]
    existing = outbox.key_statuses(session, keys)
    return outbox.enqueue_many(
        session,
        [
            _message(d, key, settings)
            for d, key in zip(due, keys, strict=True)
            if key not in existing
        ],
    )


def _message(due: ScDay, key: str, settings: Settings) -> dict[str, Any]:
    mail = render_email(
        outbox.SC_REMINDER,
        f"Reminder: your home infusion is due on {long_date(due.due_on)}",
        {
            # "Mary Ann" stays whole; we never add the family name.
            "first_name": due.first_name.strip() or "patient",
            "day": due.due_on,
            # The diary link itself cannot be sent: only its SHA-256 is kept, so that a
            # leaked database opens no diary (services.diary). The mail says to use it.
            "has_diary": due.has_diary,
            "site_name": settings.site_name,
            "phone": settings.pharmacy_phone,
        },
    )
    return {
        "dedup_key": key,
        "kind": outbox.SC_REMINDER,
        "to_address": due.email,
        "subject": mail.subject,
        "body_text": mail.text,
        "body_html": mail.html,
        "patient_id": due.patient_id,
    }
