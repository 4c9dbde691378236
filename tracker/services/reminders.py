"""What the sweep tells patients and the pharmacy, written into the outbox.

Patient e-mails carry the least health information that does the job: a first name, a day,
a time and a place, and how to change it. No diagnosis, no dose, no product.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, literal, or_
from sqlalchemy.exc import NoResultFound
from sqlmodel import Session, col, select

from tracker.formats.appointments import (
    PATIENT_SUMMARY,
    course_location,
    course_uid,
    how_to_change,
)
from tracker.formats.email import long_date, render_email
from tracker.formats.ics import appointment_ics
from tracker.rules import Evaluation, Flag, Recommendation, SitePolicy
from tracker.rules.visits import clock, visit_address, visit_minutes, visit_span
from tracker.rules.vocabulary import Action, CareSite, CourseStatus, FlagCode, PatientStatus
from tracker.services import outbox
from tracker.services.policy import load_policy
from tracker.settings import Settings, get_settings
from tracker.store.models import (
    Chair,
    Infusion,
    OutboxMessage,
    Patient,
    PatientState,
    StaffUser,
)
from tracker.store.types import utcnow

# Findings read and mailed this many patients at a time (stored_findings).
FINDINGS_PAGE = 2000


@dataclass(frozen=True)
class Finding:
    """What the sweep noticed about one active patient that may need an e-mail."""

    patient_id: int
    mrn: str
    first_name: str
    email: str | None
    consent: bool
    evaluation: Evaluation


def _reachable(email: str | None, consent: bool) -> bool:
    return bool(consent and email and email.strip())


def _first_name(given_name: str) -> str:
    # "Mary Ann" stays whole; we never add the family name.
    return given_name.strip() or "patient"


def queue_reminders(session: Session, *, on: date, policy: SitePolicy, settings: Settings) -> int:
    """Reminders for booked courses 1 to reminder_days_before days after `on`; how many new.

    In bulk: one read of the courses due a reminder with what the e-mail says, one read of
    the keys already in the outbox, one insert of the new rows (existing keys skipped, so
    each reminder is written exactly once).
    """
    if policy.reminder_days_before <= 0:
        return 0
    courses = _reminder_courses(
        session,
        Infusion.status == CourseStatus.BOOKED,
        Infusion.scheduled_on > on,
        Infusion.scheduled_on <= on + timedelta(days=policy.reminder_days_before),
        Patient.status == PatientStatus.ACTIVE,
        Patient.reminder_consent,
        Patient.email.is_not(None),
    )
    courses = [c for c in courses if _reachable(c.email, c.reminder_consent)]
    keys = {c.id: outbox.reminder_key(c.id, c.scheduled_on, c.start_time) for c in courses}
    existing = outbox.key_statuses(session, keys.values())
    # A withdrawn row is brought back with new content (the course moved away and back).
    todo = [c for c in courses if existing.get(keys[c.id], "withdrawn") == "withdrawn"]
    if not todo:
        return 0
    sent_before = outbox.reminder_keys_by_course(session, [c.id for c in todo])
    buffer = policy.home_visit_buffer_minutes
    fresh, revived = [], 0
    for course in todo:
        key = keys[course.id]
        earlier = sum(1 for k in sent_before.get(course.id, ()) if k != key)
        message = _reminder_message(course, key, earlier, buffer, settings)
        if key in existing:
            revived += outbox.enqueue(session, **message, revive_withdrawn=True)
        else:
            fresh.append(message)
    return revived + outbox.enqueue_many(session, fresh)


def queue_course_reminder(session: Session, *, infusion_id: int, settings: Settings) -> bool:
    """Write the reminder for one booked course (with its .ics); True when it is new."""
    found = _reminder_courses(session, Infusion.id == infusion_id)
    if not found:
        raise NoResultFound(f"no course with id {infusion_id}")
    (course,) = found
    if course.status != CourseStatus.BOOKED or not _reachable(
        course.email, course.reminder_consent
    ):
        return False
    key = outbox.reminder_key(course.id, course.scheduled_on, course.start_time)
    earlier = sum(
        1
        for k in outbox.reminder_keys_by_course(session, [course.id]).get(course.id, ())
        if k != key
    )
    buffer = load_policy(session).home_visit_buffer_minutes
    message = _reminder_message(course, key, earlier, buffer, settings)
    return outbox.enqueue(session, **message, revive_withdrawn=True)


# What a reminder says, read with the course in one query (_reminder_courses).
_REMINDER_COLUMNS = (
    Infusion.id,
    Infusion.patient_id,
    Infusion.status,
    Infusion.scheduled_on,
    Infusion.start_time,
    Infusion.days,
    Infusion.chair_minutes,
    Infusion.site,
    Infusion.visit_address,
    Patient.given_name,
    Patient.email,
    Patient.reminder_consent,
    Patient.address_line1,
    Patient.address_line2,
    Patient.postcode,
    Chair.name.label("chair_name"),
    StaffUser.id.label("nurse_id"),
    StaffUser.full_name.label("nurse_full_name"),
    StaffUser.username.label("nurse_username"),
)


def _reminder_courses(session: Session, *where: Any) -> list[Any]:
    return list(
        session.exec(
            select(*_REMINDER_COLUMNS)  # type: ignore[call-overload]
            .join(Patient, Patient.id == Infusion.patient_id)
            .outerjoin(Chair, Chair.id == Infusion.chair_id)
            .outerjoin(StaffUser, StaffUser.id == Infusion.nurse_id)
            .where(*where)
            .order_by(Infusion.scheduled_on, Infusion.id)
        ).all()
    )


def _reminder_message(
    course: Any, key: str, earlier: int, buffer_minutes: int, settings: Settings
) -> dict[str, Any]:
    """The reminder's outbox row (for outbox.enqueue) from the values _reminder_courses read;
    `earlier`: how many reminders of this course went before (the calendar's SEQUENCE)."""
    location = course_location(settings, course.chair_name)
    minutes = course.chair_minutes
    visit: dict[str, str] | None = None
    if course.site == CareSite.HOME_NURSE and course.nurse_id is not None:
        # A home visit names the nurse and the window she is there for (clinical rules 9).
        minutes = visit_minutes(course.chair_minutes, buffer_minutes)
        span = visit_span(course.start_time, course.chair_minutes, buffer_minutes)
        location = visit_address(
            course.visit_address, course.address_line1, course.address_line2, course.postcode
        )
        visit = {
            "nurse": course.nurse_full_name or course.nurse_username,
            "window": (
                f"{clock(span[0])} to {clock(span[1])}"
                if course.start_time is not None
                else "during the day"
            ),
        }
    context = {
        "visit": visit,
        "first_name": _first_name(course.given_name),
        "day": course.scheduled_on,
        "start_time": course.start_time,
        "days": course.days,
        "location": location,
        "site_name": settings.site_name,
        "phone": settings.pharmacy_phone,
    }
    mail = render_email(
        outbox.REMINDER,
        f"Reminder: your appointment on {long_date(course.scheduled_on)}",
        context,
    )
    # Same UID for every reminder of this course, a higher SEQUENCE each time: a calendar
    # that kept the old entry moves it instead of showing two.
    ics = appointment_ics(
        uid=course_uid(course.id, settings),
        sequence=earlier,
        day=course.scheduled_on,
        start_time=course.start_time,
        minutes=minutes,
        days=course.days,
        zone=settings.zone,
        summary=PATIENT_SUMMARY,
        location=location,
        description=how_to_change(settings),
        stamp=utcnow(),
    )
    return {
        "dedup_key": key,
        "kind": outbox.REMINDER,
        "to_address": course.email.strip(),
        "subject": mail.subject,
        "body_text": mail.text,
        "body_html": mail.html,
        "attachments": [
            {
                "filename": "appointment.ics",
                "content_type": "text/calendar",
                "params": {"method": "PUBLISH"},
                "content": ics,
            }
        ],
        "patient_id": course.patient_id,
        "infusion_id": course.id,
    }


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
    message = window_open_message(finding, on=on, policy=policy, settings=settings)
    return message is not None and outbox.enqueue(session, **message)


def window_open_message(
    finding: Finding, *, on: date, policy: SitePolicy, settings: Settings
) -> dict[str, Any] | None:
    """The window notice's outbox row (outbox.enqueue's arguments), or None when the
    finding calls for none (nothing to book, window not open, patient not reachable)."""
    ev = finding.evaluation
    if not (
        policy.notify_window_open
        and ev.has_flag(FlagCode.NEEDS_BOOKING)
        and _reachable(finding.email, finding.consent)
        and ev.window_start is not None
        and ev.window_end is not None
        and ev.window_start <= on <= ev.window_end
    ):
        return None
    assert finding.email is not None  # reachable
    assert ev.window_start is not None  # checked above (for the type checker)
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
    return {
        "dedup_key": outbox.window_open_key(finding.patient_id, ev.window_start),
        "kind": outbox.WINDOW_OPEN,
        "to_address": finding.email.strip(),
        "subject": mail.subject,
        "body_text": mail.text,
        "body_html": mail.html,
        "patient_id": finding.patient_id,
    }


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


def stored_findings(
    session: Session,
    *,
    on: date,
    page: int = FINDINGS_PAGE,
    unmailed_only: bool = False,
    alerts: bool = True,
) -> Iterator[Finding]:
    """The findings of every active patient whose stored state may lead to an e-mail on
    `on`: nothing booked and the window open (needs_booking, read as the worklist reads
    it), a waning response, or the maximum dose reached.

    Read from the stored states, not from the patients the sweep evaluated: the daily sweep
    evaluates only expired states, and a write (a score that shows waning, a cancelled
    booking) refreshes a state without mailing. The states must be current for `on` (the
    sweep runs first). Read `page` patients at a time, so memory stays flat.
    `unmailed_only`: leave out the patients whose e-mails are all in the outbox already
    (the sweep's way: most waning patients were alerted on an earlier day). `alerts`
    False (no pharmacy address to alert): only the window notices' findings.
    """
    after = 0
    while True:
        rows = _findings_page(
            session, on=on, after=after, size=page, unmailed_only=unmailed_only, alerts=alerts
        )
        for pid, mrn, given_name, email, consent, *values in rows:
            yield Finding(
                patient_id=pid,
                mrn=mrn,
                first_name=given_name,
                email=email,
                consent=consent,
                evaluation=_stored_evaluation(dict(zip(_FINDING_COLUMNS, values, strict=True)), on),
            )
        if len(rows) < page:
            return
        after = rows[-1][0]


def _unwritten(wanted: bool, prefix: str, *parts: Any) -> list[ColumnElement[bool]]:
    # No outbox row has the key outbox.*_key would give (the same text, built in SQL). Only
    # a shortcut: a finding let through is checked against the outbox again in Python.
    if not wanted:
        return []
    key: ColumnElement[str] = literal(prefix, String)
    for part in parts:
        key = key + ":" + cast(part, String)
    return [~exists().where(OutboxMessage.dedup_key == key)]


def _findings_page(
    session: Session, *, on: date, after: int, size: int, unmailed_only: bool, alerts: bool
) -> Sequence[Any]:
    state = PatientState
    columns = [getattr(state, name) for name in _FINDING_COLUMNS]
    return session.exec(
        select(  # type: ignore[call-overload]  # SQLModel's select() is typed for 4 columns
            Patient.id,
            Patient.mrn,
            Patient.given_name,
            Patient.email,
            Patient.reminder_consent,
            *columns,
        )
        .join(state, state.patient_id == Patient.id)
        .where(
            Patient.status == PatientStatus.ACTIVE,
            state.status == PatientStatus.ACTIVE,
            or_(
                and_(
                    col(state.needs_booking_from) <= on,
                    col(state.next_booking_id).is_(None),
                    col(state.window_start) <= on,
                    col(state.window_end) >= on,
                    *_unwritten(unmailed_only, "window-open", Patient.id, state.window_start),
                ),
                and_(
                    literal(alerts),
                    col(state.waning_patterns).is_not(None),
                    *_unwritten(
                        unmailed_only,
                        "alert-waning",
                        Patient.id,
                        state.regimen_id,
                        func.replace(state.waning_patterns, ",", "+"),
                    ),
                ),
                and_(
                    literal(alerts),
                    state.recommendation_action == Action.MAX_DOSE_REACHED,
                    *_unwritten(unmailed_only, "alert-max-dose", Patient.id, state.regimen_id),
                ),
            ),
        )
        .where(Patient.id > after)
        .order_by(Patient.id)
        .limit(size)
    ).all()


# What the e-mails read of a stored state (_stored_evaluation).
_FINDING_COLUMNS = (
    "status",
    "regimen_id",
    "due_on",
    "window_start",
    "window_end",
    "next_booking_id",
    "needs_booking_from",
    "overdue_from",
    "review_due_from",
    "next_review_on",
    "weight_stale_from",
    "waning_patterns",
    "waning_detail",
    "recommendation_action",
    "proposed_interval_days",
    "proposed_dose_g_per_kg",
    "recommendation_reason",
)


def _stored_evaluation(row: dict[str, Any], on: date) -> Evaluation:
    # What the mails read of an evaluation, as the state stores it for day `on`.
    flags = []
    if (
        row["needs_booking_from"] is not None
        and row["needs_booking_from"] <= on
        and row["next_booking_id"] is None
    ):
        flags.append(Flag(FlagCode.NEEDS_BOOKING))
    if row["waning_patterns"]:
        patterns = tuple(row["waning_patterns"].split(","))
        flags.append(Flag(FlagCode.WANING_RESPONSE, patterns, row["waning_detail"] or ""))
    action = row["recommendation_action"]
    return Evaluation(
        on=on,
        regimen_id=row["regimen_id"],
        due_on=row["due_on"],
        window_start=row["window_start"],
        window_end=row["window_end"],
        next_booking=None,
        flags=tuple(flags),
        recommendation=(
            None
            if action is None
            else Recommendation(
                action,
                row["proposed_interval_days"],
                row["proposed_dose_g_per_kg"],
                row["recommendation_reason"] or "",
            )
        ),
        needs_booking_from=row["needs_booking_from"],
        overdue_from=row["overdue_from"],
        review_due_from=row["review_due_from"],
        next_review_on=row["next_review_on"],
        weight_stale_from=row["weight_stale_from"],
        status=row["status"],
    )


def queue_finding_mails(
    session: Session,
    *,
    findings: Iterable[Finding],
    on: date,
    policy: SitePolicy,
    settings: Settings,
) -> tuple[int, list[Alert]]:
    """The window notices and alerts these findings call for: (notices written, alerts).

    A page of findings at a time: the keys already in the outbox are read in one query, and
    only a finding with a missing key is rendered and written (most of them were mailed on
    an earlier day).
    """
    notices, alerts, page = 0, list[Alert](), list[Finding]()
    for found in findings:
        page.append(found)
        if len(page) == FINDINGS_PAGE:
            notices += _queue_page(session, page, alerts, on=on, policy=policy, settings=settings)
            page = []
    notices += _queue_page(session, page, alerts, on=on, policy=policy, settings=settings)
    return notices, alerts


def _queue_page(
    session: Session,
    findings: list[Finding],
    alerts: list[Alert],
    *,
    on: date,
    policy: SitePolicy,
    settings: Settings,
) -> int:
    wanted: dict[int, list[str]] = {}
    for found in findings:
        ev = found.evaluation
        keys = []
        if ev.window_start is not None and ev.has_flag(FlagCode.NEEDS_BOOKING):
            keys.append(outbox.window_open_key(found.patient_id, ev.window_start))
        waning = next((f for f in ev.flags if f.code == FlagCode.WANING_RESPONSE), None)
        if waning is not None and settings.pharmacy_email:
            keys.append(outbox.waning_alert_key(found.patient_id, ev.regimen_id, waning.patterns))
        rec = ev.recommendation
        if rec is not None and rec.action == Action.MAX_DOSE_REACHED and settings.pharmacy_email:
            keys.append(outbox.max_dose_alert_key(found.patient_id, ev.regimen_id))
        wanted[found.patient_id] = keys
    existing = outbox.key_statuses(session, (k for keys in wanted.values() for k in keys))
    notices = []
    for found in findings:
        if all(k in existing for k in wanted[found.patient_id]):
            continue
        message = window_open_message(found, on=on, policy=policy, settings=settings)
        if message is not None and message["dedup_key"] not in existing:
            notices.append(message)
        alerts.extend(queue_alerts(session, finding=found, settings=settings))
    return outbox.enqueue_many(session, notices)
