"""The pharmacy's daily digest: what needs doing today, and what is new since the last one."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import Session, col, select

from tracker.formats.email import long_date, render_email
from tracker.rules.measures import AT_HOME
from tracker.rules.vocabulary import FlagCode, PatientStatus
from tracker.services import outbox
from tracker.services.reminders import Alert, patient_link
from tracker.services.worklist import flag_conditions
from tracker.settings import Settings
from tracker.store.models import OutboxMessage, Patient, PatientState
from tracker.store.types import utcnow

SECTION_LIMIT = 50
KIND_NAMES = {
    outbox.REMINDER: "appointment reminder",
    outbox.WINDOW_OPEN: "booking notice",
    outbox.SC_REMINDER: "home infusion day reminder",
    outbox.DIGEST: "pharmacy digest",
    outbox.ALERT: "clinical alert",
}


@dataclass
class Section:
    """One heading of the digest: the first items and how many there are in all."""

    title: str
    total: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def queue_digest(session: Session, *, on: date, settings: Settings, alerts: list[Alert]) -> bool:
    """Write the digest for day `on` to TRACKER_PHARMACY_EMAIL; True when one was written.

    Nothing is written when there is nothing to report, or no pharmacy address is set.
    """
    key = outbox.digest_key(on)
    if (
        not settings.pharmacy_email
        or session.exec(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)).first()
    ):
        return False
    # "New" means since the previous digest (keys sort by day), or since yesterday.
    previous = session.exec(
        select(OutboxMessage.dedup_key, OutboxMessage.created_at)
        .where(OutboxMessage.kind == outbox.DIGEST, OutboxMessage.dedup_key < key)
        .order_by(OutboxMessage.dedup_key.desc())
        .limit(1)
    ).first()
    since_day = date.fromisoformat(previous[0].partition(":")[2]) if previous else on - timedelta(1)
    since_at = previous[1] if previous else utcnow() - timedelta(days=1)
    flags = flag_conditions(on)
    sections = [
        _state_section(
            session,
            settings,
            "Overdue",
            flags[FlagCode.OVERDUE],
            lambda s: f"window closed on {_long(s.window_end)}",
        ),
        _state_section(
            session,
            settings,
            "Needs booking",
            flags[FlagCode.NEEDS_BOOKING],
            lambda s: f"book between {_long(s.window_start)} and {_long(s.window_end)}",
        ),
        _state_section(
            session,
            settings,
            "Booked outside the window",
            flags["booking_outside_window"],
            lambda s: (
                f"booked for {_long(s.next_booking_on)}, window "
                f"{_long(s.window_start)} to {_long(s.window_end)}"
            ),
        ),
        # Funding (clinical rules 8), soonest to bite first.
        _state_section(
            session,
            settings,
            "No funding authorisation",
            flags[FlagCode.AUTHORIZATION_MISSING],
            lambda s: (
                f"nothing covers the course of {_long(s.authorization_missing_on)}: "
                f"{s.authorization_missing_detail}"
            ),
            order=(PatientState.authorization_missing_on, PatientState.patient_id),
        ),
        _state_section(
            session,
            settings,
            "Funding authorisation ending",
            flags[FlagCode.AUTHORIZATION_ENDING],
            lambda s: (
                f"funding stops {_long(s.authorization_ending_on)}: {s.authorization_ending_detail}"
            ),
            order=(PatientState.authorization_ending_on, PatientState.patient_id),
        ),
        # Waning that the patient's own readings show (clinical rules 10): the rules' detail
        # names a home series, or a wear-off day reported through the diary, "at home".
        _state_section(
            session,
            settings,
            "Wear-off in home readings",
            and_(
                flags[FlagCode.WANING_RESPONSE], col(PatientState.waning_detail).contains(AT_HOME)
            ),
            lambda s: f"{_patterns(s.waning_patterns)} waning: {s.waning_detail}",
            order=(PatientState.patient_id,),
        ),
        _new_flags(session, settings, on, since_day, alerts),
        _failed_mail(session, settings, since_at),
    ]
    sections = [s for s in sections if s.total]
    if not sections:
        return False
    base = settings.base_url.rstrip("/")
    mail = render_email(
        outbox.DIGEST,
        f"IVIG worklist for {long_date(on)}",
        {
            "day": on,
            "sections": sections,
            "worklist_link": f"{base}/",
            "site_name": settings.site_name,
        },
    )
    return outbox.enqueue(
        session,
        dedup_key=key,
        kind=outbox.DIGEST,
        to_address=settings.pharmacy_email,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
    )


def _long(day: date | None) -> str:
    # Each section's flag condition holds only where the dates it quotes are set.
    assert day is not None
    return long_date(day)


def _patterns(stored: str | None) -> str:
    # Stored as "end_of_dose,progressive"; said as "end-of-dose and progressive".
    return " and ".join(p.replace("_", "-") for p in (stored or "").split(",") if p)


def _state_section(
    session: Session,
    settings: Settings,
    title: str,
    condition: ColumnElement[bool],
    describe: Callable[[PatientState], str],
    order: tuple[Any, ...] = (PatientState.window_end, PatientState.patient_id),
) -> Section:
    query = (
        select(PatientState, Patient.mrn)
        .join(Patient, Patient.id == PatientState.patient_id)
        .where(condition)
    )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(*order).limit(SECTION_LIMIT)).all()
    return Section(
        title,
        total,
        [
            {
                "label": f"MRN {mrn}",
                "text": describe(state),
                "link": patient_link(settings, state.patient_id),
            }
            for state, mrn in rows
        ],
    )


def _new_flags(
    session: Session, settings: Settings, on: date, since_day: date, alerts: list[Alert]
) -> Section:
    items = [
        {"label": f"MRN {a.mrn}", "text": a.text, "link": patient_link(settings, a.patient_id)}
        for a in alerts
    ]
    s = PatientState
    started = {
        "review due": and_(
            s.status == PatientStatus.ACTIVE, s.review_due_from > since_day, s.review_due_from <= on
        ),
        "weight out of date": and_(
            s.status == PatientStatus.ACTIVE,
            s.weight_stale_from > since_day,
            s.weight_stale_from <= on,
        ),
    }
    for text, condition in started.items():
        for patient_id, mrn in session.exec(
            select(s.patient_id, Patient.mrn)
            .join(Patient, Patient.id == s.patient_id)
            .where(condition)
            .order_by(s.patient_id)
        ):
            items.append(
                {"label": f"MRN {mrn}", "text": text, "link": patient_link(settings, patient_id)}
            )
    return Section("New clinical flags", len(items), items[:SECTION_LIMIT])


def _failed_mail(session: Session, settings: Settings, since_at: datetime) -> Section:
    total, rows = outbox.failed_since(session, since=since_at, limit=SECTION_LIMIT)
    link = f"{settings.base_url.rstrip('/')}/outbox?status=failed"
    return Section(
        "E-mails that could not be sent",
        total,
        [
            {
                "label": KIND_NAMES.get(r.kind, r.kind),
                "text": f"to {r.to_address}: {r.last_error}",
                "link": link,
            }
            for r in rows
        ],
    )
