"""Calendar feeds per patient and per chair: secret tokens issued, rotated, revoked, served.

A feed's address carries a 256-bit random token, the only credential a calendar app can
present; the database keeps its SHA-256, so a copy of the database cannot be replayed as a
feed address. Issuing a feed for a subject that has one rotates it: the old address stops
working at once.
"""

import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session, select

from tracker.formats import appointments
from tracker.formats.ics import CourseEvent, feed_ics
from tracker.rules.visits import visit_address, visit_minutes
from tracker.rules.vocabulary import CourseStatus
from tracker.services import audit, outbox
from tracker.services.actors import Actor
from tracker.services.errors import Invalid, NotFound
from tracker.services.policy import load_policy
from tracker.services.visits import visits_for_feed
from tracker.settings import Settings
from tracker.store.ids import stored_id
from tracker.store.models import Chair, Infusion, OutboxMessage, Patient, StaffUser
from tracker.store.models.interop import FEED_KINDS, CalendarFeed
from tracker.store.types import utcnow

# Past courses stay in a feed this long, so that a calendar can see a cancellation and drop
# the event it kept from an earlier fetch.
LOOKBACK_DAYS = 90
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a feed token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def live_feed(session: Session, *, kind: str, subject_id: int) -> CalendarFeed | None:
    """The feed of this patient or chair that is not revoked, if any."""
    column = {
        "patient": CalendarFeed.patient_id,
        "chair": CalendarFeed.chair_id,
        "nurse": CalendarFeed.nurse_id,
    }[kind]
    return session.exec(
        select(CalendarFeed)
        .where(CalendarFeed.kind == kind, column == subject_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
    ).first()


def issue_feed(
    session: Session, *, actor: Actor, kind: str, subject_id: int
) -> tuple[str, CalendarFeed]:
    """A new feed token for a patient or chair (revoking the live one); (token, feed)."""
    patient_id = _check_subject(session, kind, subject_id)
    old = live_feed(session, kind=kind, subject_id=subject_id)
    if old is not None:
        old.revoked_at = utcnow()
        old.revoked_by_id = actor.id
    token = secrets.token_urlsafe(32)  # 256 bits
    feed = CalendarFeed(
        token_hash=token_digest(token),
        kind=kind,
        patient_id=subject_id if kind == "patient" else None,
        chair_id=subject_id if kind == "chair" else None,
        nurse_id=subject_id if kind == "nurse" else None,
        created_by_id=actor.id,
    )
    session.add(feed)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar_feed.rotate" if old is not None else "calendar_feed.issue",
        entity="calendar_feed",
        entity_id=feed.id,
        patient_id=patient_id,
        changes={
            "kind": kind,
            "subject_id": subject_id,
            "revoked_feed_id": old.id if old is not None else None,
        },
    )
    return token, feed


def revoke_feed(session: Session, *, actor: Actor, kind: str, subject_id: int) -> CalendarFeed:
    """Revoke the live feed of a patient or chair: its address answers 404 from now on."""
    patient_id = _check_subject(session, kind, subject_id)
    feed = live_feed(session, kind=kind, subject_id=subject_id)
    if feed is None:
        raise NotFound("there is no live calendar feed to revoke")
    feed.revoked_at = utcnow()
    feed.revoked_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar_feed.revoke",
        entity="calendar_feed",
        entity_id=feed.id,
        patient_id=patient_id,
        changes={"kind": kind, "subject_id": subject_id},
    )
    return feed


def chair_feeds(session: Session) -> list[tuple[Chair, CalendarFeed | None]]:
    """Every active chair with its live feed, by code."""
    chairs = session.exec(select(Chair).where(Chair.active).order_by(Chair.code)).all()
    live = {
        f.chair_id: f
        for f in session.exec(
            select(CalendarFeed).where(
                CalendarFeed.kind == "chair", CalendarFeed.revoked_at.is_(None)
            )
        )
    }
    return [(c, live.get(c.id)) for c in chairs]


def feed_for_token(session: Session, token: str, kind: str) -> CalendarFeed | None:
    """The live feed of this kind behind a token; None for an unknown or revoked one."""
    if not _TOKEN_SHAPE.match(token):
        return None
    return session.exec(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == token_digest(token),
            CalendarFeed.kind == kind,
            CalendarFeed.revoked_at.is_(None),
        )
    ).first()


def render_feed(
    session: Session,
    *,
    token: str,
    kind: str,
    today: date,
    settings: Settings,
    ip_address: str | None = None,
) -> str | None:
    """The .ics text of the feed behind a token, or None when there is no such live feed;
    each fetch is audited, the feed itself as the actor."""
    feed = feed_for_token(session, token, kind)
    if feed is None:
        return None
    # No one logs in to fetch a feed: the trail names the feed (and the address it was
    # fetched from), so an address that leaked shows up as reads of the patient's record.
    reader = Actor(
        id=None, username=f"calendar-feed:{feed.id}", role="viewer", ip_address=ip_address
    )
    since = today - timedelta(days=LOOKBACK_DAYS)
    stamp = utcnow()
    chairs = {c.id: c for c in session.exec(select(Chair))}
    if kind == "patient":
        assert feed.patient_id is not None  # a patient's feed names one (check constraint)
        courses = session.exec(
            select(Infusion)
            .where(Infusion.patient_id == feed.patient_id, Infusion.scheduled_on >= since)
            .order_by(Infusion.scheduled_on, Infusion.id)
        ).all()
        sequences = _sequences(session, courses)
        events = [
            appointments.patient_event(
                infusion_id=stored_id(c),
                sequence=sequences[stored_id(c)],
                day=c.scheduled_on,
                start_time=c.start_time,
                minutes=c.chair_minutes,
                days=c.days,
                chair_name=chairs[c.chair_id].name if c.chair_id in chairs else None,
                cancelled=c.status == CourseStatus.CANCELLED,
                settings=settings,
            )
            for c in courses
        ]
        name = appointments.PATIENT_FEED_NAME
        audit.patient_viewed(
            session, actor=reader, patient_id=feed.patient_id, part="calendar feed (.ics)"
        )
    elif kind == "nurse":
        assert feed.nurse_id is not None  # a nurse's feed names one (check constraint)
        events, name = _nurse_events(session, feed, since=since, settings=settings, reader=reader)
    else:
        chair = chairs[feed.chair_id]
        rows = session.exec(
            select(Infusion, Patient)
            .join(Patient, Patient.id == Infusion.patient_id)
            .where(Infusion.chair_id == feed.chair_id, Infusion.scheduled_on >= since)
            .order_by(Infusion.scheduled_on, Infusion.start_time, Infusion.id)
        ).all()
        sequences = _sequences(session, [c for c, _ in rows])
        events = [
            appointments.chair_event(
                infusion_id=stored_id(c),
                sequence=sequences[stored_id(c)],
                day=c.scheduled_on,
                start_time=c.start_time,
                minutes=c.chair_minutes,
                days=c.days,
                chair_name=chair.name,
                initials=appointments.initials(p.given_name, p.family_name),
                mrn=p.mrn,
                cancelled=c.status == CourseStatus.CANCELLED,
                settings=settings,
            )
            for c, p in rows
        ]
        name = f"{chair.name} ({settings.site_name})"
        # A chair's feed shows many patients' initials and MRNs: one entry naming them all.
        audit.record(
            session,
            actor=reader,
            action="calendar_feed.read",
            entity="calendar_feed",
            entity_id=feed.id,
            changes={
                "kind": "chair",
                "chair_id": feed.chair_id,
                "patient_ids": sorted({p.id for _, p in rows}),
            },
        )
    return feed_ics(events, name=name, zone=settings.zone, stamp=stamp)


def _nurse_events(
    session: Session, feed: CalendarFeed, *, since: date, settings: Settings, reader: Actor
) -> tuple[list[CourseEvent], str]:
    # A nurse's phone calendar: each visit's window, address and the patient's initials.
    assert feed.nurse_id is not None
    buffer = load_policy(session).home_visit_buffer_minutes
    rows = visits_for_feed(session, nurse_id=feed.nurse_id, since=since)
    sequences = _sequences(session, [c for c, _ in rows])
    events = [
        appointments.visit_event(
            infusion_id=stored_id(c),
            sequence=sequences[stored_id(c)],
            day=c.scheduled_on,
            start_time=c.start_time,
            minutes=visit_minutes(c.chair_minutes, buffer),
            days=c.days,
            initials=appointments.initials(p.given_name, p.family_name),
            address=visit_address(c.visit_address, p.address_line1, p.address_line2, p.postcode),
            cancelled=c.status in (CourseStatus.CANCELLED, CourseStatus.MISSED),
            settings=settings,
        )
        for c, p in rows
    ]
    # Many patients' initials and addresses: one entry naming them all, as for a chair.
    audit.record(
        session,
        actor=reader,
        action="calendar_feed.read",
        entity="calendar_feed",
        entity_id=feed.id,
        changes={
            "kind": "nurse",
            "nurse_id": feed.nurse_id,
            "patient_ids": sorted({stored_id(p) for _, p in rows}),
        },
    )
    return events, f"Home visits ({settings.site_name})"


def _sequences(session: Session, courses: Sequence[Infusion]) -> dict[int, int]:
    # The SEQUENCE the reminder e-mails gave each course: one more for every reminder sent
    # for an earlier day or time of it. A cancellation goes above them all, so a calendar
    # that kept a reminder's event takes the cancellation as the newer version.
    keys: dict[int | None, list[str]] = defaultdict(list)
    ids = [c.id for c in courses]
    for start in range(0, len(ids), 500):
        for infusion_id, key in session.exec(
            select(OutboxMessage.infusion_id, OutboxMessage.dedup_key).where(
                OutboxMessage.kind == outbox.REMINDER,
                OutboxMessage.infusion_id.in_(ids[start : start + 500]),
            )
        ):
            keys[infusion_id].append(key)
    sequences: dict[int, int] = {}
    for c in courses:
        course_id = stored_id(c)
        sent = keys.get(course_id, [])
        if c.status == CourseStatus.CANCELLED:
            sequences[course_id] = len(sent) + 1
        else:
            current = outbox.reminder_key(course_id, c.scheduled_on, c.start_time)
            sequences[course_id] = sum(key != current for key in sent)
    return sequences


def _check_subject(session: Session, kind: str, subject_id: int) -> int | None:
    """The patient id to audit under, after checking the patient or chair exists."""
    if kind not in FEED_KINDS:
        raise Invalid(f"unknown feed kind {kind!r}", field="kind")
    if kind == "patient":
        if session.get(Patient, subject_id) is None:
            raise NotFound(f"no patient with id {subject_id}")
        return subject_id
    if kind == "nurse":
        nurse = session.get(StaffUser, subject_id)
        if nurse is None or nurse.role != "nurse" or not nurse.is_active:
            raise NotFound(f"no nurse with id {subject_id}")
        return None
    chair = session.get(Chair, subject_id)
    if chair is None or not chair.active:
        raise NotFound(f"no chair with id {subject_id}")
    return None
