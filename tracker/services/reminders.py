"""What the sweep tells patients and the pharmacy, written into the outbox.

Patient e-mails carry the least health information that does the job: a first name, a day,
a time and a place, and how to change it. No diagnosis, no dose, no product.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from tracker.formats.appointments import (
    PATIENT_SUMMARY,
    course_location,
    course_uid,
    how_to_change,
)
from tracker.formats.email import long_date, render_email
from tracker.formats.ics import appointment_ics
from tracker.rules import Evaluation, SitePolicy
from tracker.rules.visits import clock, visit_address, visit_minutes, visit_span
from tracker.rules.vocabulary import Action, CareSite, CourseStatus, FlagCode, PatientStatus
from tracker.services import outbox
from tracker.services.policy import load_policy
from tracker.settings import Settings, get_settings
from tracker.store.ids import stored_id
from tracker.store.models import Chair, Infusion, OutboxMessage, Patient, StaffUser
from tracker.store.types import utcnow


@dataclass(frozen=True)
class Finding:
    """What the sweep noticed about one active patient that may need an e-mail."""

    patient_id: int
    mrn: str
    first_name: str
    email: str | None
    consent: bool
    evaluation: Evaluation


def finding_for(patient: Patient, evaluation: Evaluation) -> Finding | None:
    """The patient's finding if anything in the evaluation could lead to an e-mail."""
    if patient.status != PatientStatus.ACTIVE:
        return None
    rec = evaluation.recommendation
    if not (
        evaluation.has_flag(FlagCode.NEEDS_BOOKING)
        or evaluation.has_flag(FlagCode.WANING_RESPONSE)
        or (rec is not None and rec.action == Action.MAX_DOSE_REACHED)
    ):
        return None
    return Finding(
        patient_id=stored_id(patient),
        mrn=patient.mrn,
        first_name=patient.given_name,
        email=patient.email,
        consent=patient.reminder_consent,
        evaluation=evaluation,
    )


def _reachable(email: str | None, consent: bool) -> bool:
    return bool(consent and email and email.strip())


def _first_name(given_name: str) -> str:
    # "Mary Ann" stays whole; we never add the family name.
    return given_name.strip() or "patient"


def queue_reminders(session: Session, *, on: date, policy: SitePolicy, settings: Settings) -> int:
    """Reminders for booked courses 1 to reminder_days_before days after `on`; how many new."""
    if policy.reminder_days_before <= 0:
        return 0
    rows = session.exec(
        select(Infusion.id)
        .join(Patient, Patient.id == Infusion.patient_id)
        .where(
            Infusion.status == CourseStatus.BOOKED,
            Infusion.scheduled_on > on,
            Infusion.scheduled_on <= on + timedelta(days=policy.reminder_days_before),
            Patient.status == PatientStatus.ACTIVE,
            Patient.reminder_consent,
            Patient.email.is_not(None),
        )
        .order_by(Infusion.scheduled_on, Infusion.id)
    ).all()
    return sum(queue_course_reminder(session, infusion_id=i, settings=settings) for i in rows)


def queue_course_reminder(session: Session, *, infusion_id: int, settings: Settings) -> bool:
    """Write the reminder for one booked course (with its .ics); True when it is new."""
    infusion = session.get_one(Infusion, infusion_id)
    patient = session.get_one(Patient, infusion.patient_id)
    if infusion.status != CourseStatus.BOOKED or not _reachable(
        patient.email, patient.reminder_consent
    ):
        return False
    assert patient.email is not None  # reachable
    key = outbox.reminder_key(infusion_id, infusion.scheduled_on, infusion.start_time)
    chair = session.get(Chair, infusion.chair_id) if infusion.chair_id else None
    location = course_location(settings, chair.name if chair else None)
    minutes = infusion.chair_minutes
    visit: dict[str, str] | None = None
    nurse = session.get(StaffUser, infusion.nurse_id) if infusion.nurse_id else None
    if infusion.site == CareSite.HOME_NURSE and nurse is not None:
        # A home visit names the nurse and the window she is there for (clinical rules 9).
        buffer = load_policy(session).home_visit_buffer_minutes
        minutes = visit_minutes(infusion.chair_minutes, buffer)
        span = visit_span(infusion.start_time, infusion.chair_minutes, buffer)
        location = visit_address(
            infusion.visit_address, patient.address_line1, patient.address_line2, patient.postcode
        )
        visit = {
            "nurse": nurse.full_name or nurse.username,
            "window": (
                f"{clock(span[0])} to {clock(span[1])}"
                if infusion.start_time is not None
                else "during the day"
            ),
        }
    context = {
        "visit": visit,
        "first_name": _first_name(patient.given_name),
        "day": infusion.scheduled_on,
        "start_time": infusion.start_time,
        "days": infusion.days,
        "location": location,
        "site_name": settings.site_name,
        "phone": settings.pharmacy_phone,
    }
    mail = render_email(
        outbox.REMINDER,
        f"Reminder: your appointment on {long_date(infusion.scheduled_on)}",
        context,
    )
    # Same UID for every reminder of this course, a higher SEQUENCE each time: a calendar
    # that kept the old entry moves it instead of showing two.
    earlier = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.infusion_id == infusion.id,
            OutboxMessage.kind == outbox.REMINDER,
            OutboxMessage.dedup_key != key,
        )
    ).one()
    ics = appointment_ics(
        uid=course_uid(infusion_id, settings),
        sequence=earlier,
        day=infusion.scheduled_on,
        start_time=infusion.start_time,
        minutes=minutes,
        days=infusion.days,
        zone=settings.zone,
        summary=PATIENT_SUMMARY,
        location=location,
        description=how_to_change(settings),
        stamp=utcnow(),
    )
    return outbox.enqueue(
        session,
        dedup_key=key,
        kind=outbox.REMINDER,
        to_address=patient.email.strip(),
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        attachments=[
            {
                "filename": "appointment.ics",
                "content_type": "text/calendar",
                "params": {"method": "PUBLISH"},
                "content": ics,
            }
        ],
        patient_id=patient.id,
        infusion_id=infusion.id,
        revive_withdrawn=True,
    )


def refresh_course_reminder(
    session: Session,
    *,
    infusion_id: int,
    today: date,
    policy: SitePolicy | None = None,
    settings: Settings | None = None,
    new_course: bool = False,
) -> bool:
    """After a course is booked, moved or cancelled: withdraw stale reminders, queue a due one.

    For the booking pages and API, in the same transaction as the change: a course booked
    or moved to within reminder_days_before gets its reminder now, not at tomorrow's sweep.
    `new_course`: the course was created in this transaction, so no reminder can name it yet
    and there is nothing to withdraw (one statement saved on every booking).
    """
    policy = policy or load_policy(session)
    settings = settings or get_settings()
    infusion = session.get(Infusion, infusion_id)
    if infusion is None or infusion.status != CourseStatus.BOOKED:
        if not new_course:
            outbox.withdraw_reminders(session, infusion_id=infusion_id)
        return False
    key = outbox.reminder_key(infusion_id, infusion.scheduled_on, infusion.start_time)
    if not new_course:
        outbox.withdraw_reminders(session, infusion_id=infusion_id, keep_key=key)
    if not today < infusion.scheduled_on <= today + timedelta(days=policy.reminder_days_before):
        return False
    return queue_course_reminder(session, infusion_id=infusion_id, settings=settings)


def queue_window_open(
    session: Session, *, finding: Finding, on: date, policy: SitePolicy, settings: Settings
) -> bool:
    """Tell a patient their booking window is open when nothing is booked; True when new."""
    ev = finding.evaluation
    if not (
        policy.notify_window_open
        and ev.has_flag(FlagCode.NEEDS_BOOKING)
        and _reachable(finding.email, finding.consent)
        and ev.window_start is not None
        and ev.window_end is not None
        and ev.window_start <= on <= ev.window_end
    ):
        return False
    assert finding.email is not None  # reachable
    mail = render_email(
        outbox.WINDOW_OPEN,
        "Time to book your next appointment",
        {
            "first_name": _first_name(finding.first_name),
            "window_start": ev.window_start,
            "window_end": ev.window_end,
            "site_name": settings.site_name,
            "phone": settings.pharmacy_phone,
        },
    )
    return outbox.enqueue(
        session,
        dedup_key=outbox.window_open_key(finding.patient_id, ev.window_start),
        kind=outbox.WINDOW_OPEN,
        to_address=finding.email.strip(),
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        patient_id=finding.patient_id,
    )


@dataclass(frozen=True)
class Alert:
    """A clinical alert written by this sweep, for the digest's list of new flags."""

    patient_id: int
    mrn: str
    text: str


def queue_alerts(session: Session, *, finding: Finding, settings: Settings) -> list[Alert]:
    """Alert the pharmacy once when a patient shows waning or reaches the maximum dose.

    "Newly" means the alert's key did not exist: the key holds the regimen (and the waning
    patterns), so a new regimen or a new pattern alerts again and nothing else does. The
    stored PatientState cannot tell us this, because every change to a patient refreshes it
    before the sweep sees it.
    """
    to = settings.pharmacy_email
    if not to:
        return []
    ev = finding.evaluation
    link = patient_link(settings, finding.patient_id)
    written = []
    waning = next((f for f in ev.flags if f.code == FlagCode.WANING_RESPONSE), None)
    if waning is not None:
        patterns = ", ".join(p.replace("_", "-") for p in waning.patterns)
        details = [f"Pattern: {patterns}"] + ([waning.detail] if waning.detail else [])
        if ev.recommendation is not None:
            details.append(
                f"Recommended: {ev.recommendation.action.replace('_', ' ')}"
                f" ({ev.recommendation.reason})"
            )
        mail = render_email(
            outbox.ALERT,
            f"Waning response: MRN {finding.mrn}",
            {
                "headline": f"MRN {finding.mrn} shows a waning response ({patterns})",
                "mrn": finding.mrn,
                "link": link,
                "details": details,
                "patterns": True,
                "site_name": settings.site_name,
            },
        )
        if outbox.enqueue(
            session,
            dedup_key=outbox.waning_alert_key(finding.patient_id, ev.regimen_id, waning.patterns),
            kind=outbox.ALERT,
            to_address=to,
            subject=mail.subject,
            body_text=mail.text,
            body_html=mail.html,
            patient_id=finding.patient_id,
        ):
            written.append(Alert(finding.patient_id, finding.mrn, f"waning response ({patterns})"))
    rec = ev.recommendation
    if rec is not None and rec.action == "max_dose_reached":
        mail = render_email(
            outbox.ALERT,
            f"Maximum dose reached: MRN {finding.mrn}",
            {
                "headline": f"MRN {finding.mrn} has reached the maximum dose for the interval",
                "mrn": finding.mrn,
                "link": link,
                "details": [rec.reason] if rec.reason else [],
                "patterns": False,
                "site_name": settings.site_name,
            },
        )
        if outbox.enqueue(
            session,
            dedup_key=outbox.max_dose_alert_key(finding.patient_id, ev.regimen_id),
            kind=outbox.ALERT,
            to_address=to,
            subject=mail.subject,
            body_text=mail.text,
            body_html=mail.html,
            patient_id=finding.patient_id,
        ):
            written.append(Alert(finding.patient_id, finding.mrn, "maximum dose reached"))
    return written


def patient_link(settings: Settings, patient_id: int) -> str:
    """The patient's page in the tracker, for staff e-mails."""
    return f"{settings.base_url.rstrip('/')}/patients/{patient_id}"
