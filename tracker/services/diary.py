"""The patient's diary (clinical rules 10): a secret link through which a patient records
grip readings, the day the effect wore off and a note at home, with no staff account.

The link's address carries a 256-bit random token naming one patient; only its SHA-256 is
kept. A link expires (`DEFAULT_DAYS` after it is issued) and can be revoked; issuing a new
one revokes the live one. Every write goes through the ordinary services as a home reading,
audited with the link as the actor. Unknown tokens count as failed logins from the address,
so guessing is throttled as logins are (`login_throttle`).
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from tracker.rules import ScoreError, validate_score
from tracker.rules.vocabulary import CourseStatus, MeasureCode, Side, Source, Timing
from tracker.schemas.scores import AssessmentCreate
from tracker.services import audit, login_throttle
from tracker.services.actors import Actor
from tracker.services.assessments import record_assessment
from tracker.services.errors import Invalid, NotFound
from tracker.services.evaluation import refresh_state
from tracker.services.patients import get_patient
from tracker.store.models import Infusion, LoginAttempt
from tracker.store.models.interop import DiaryLink, DiaryNote
from tracker.store.types import utcnow

DEFAULT_DAYS = 90
# The name failed guesses of a diary token are recorded under in the login attempts.
GUESS_NAME = "diary-link:"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
GRIP_MEASURES = (MeasureCode.GRIP_DYNAMOMETER, MeasureCode.GRIP_VIGORIMETER)
TIMINGS = (Timing.PRE_INFUSION, Timing.POST_INFUSION, Timing.CLINIC)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) under which a diary token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def live_link(session: Session, *, patient_id: int, today: date) -> DiaryLink | None:
    """The patient's diary link that is neither revoked nor expired, if any."""
    return session.exec(
        select(DiaryLink)
        .where(
            DiaryLink.patient_id == patient_id,
            col(DiaryLink.revoked_at).is_(None),
            DiaryLink.expires_on >= today,
        )
        .order_by(col(DiaryLink.id).desc())
    ).first()


def issue_link(
    session: Session, *, actor: Actor, patient_id: int, today: date, days: int = DEFAULT_DAYS
) -> tuple[str, DiaryLink]:
    """A new diary link for the patient (revoking the live one); (token, link)."""
    get_patient(session, patient_id)
    old = live_link(session, patient_id=patient_id, today=today)
    if old is not None:
        old.revoked_at = utcnow()
        old.revoked_by_id = actor.id
    token = secrets.token_urlsafe(32)  # 256 bits
    link = DiaryLink(
        patient_id=patient_id,
        token_hash=token_digest(token),
        created_by_id=actor.id,
        expires_on=today + timedelta(days=days),
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="diary_link.issue",
        entity="diary_link",
        entity_id=link.id,
        patient_id=patient_id,
        changes={
            "expires_on": link.expires_on.isoformat(),
            "revoked_link_id": old.id if old is not None else None,
        },
    )
    return token, link


def revoke_link(session: Session, *, actor: Actor, patient_id: int, today: date) -> DiaryLink:
    """Revoke the patient's live diary link: its address shows "no longer works" from now on."""
    get_patient(session, patient_id)
    link = live_link(session, patient_id=patient_id, today=today)
    if link is None:
        raise NotFound("there is no live diary link to revoke")
    link.revoked_at = utcnow()
    link.revoked_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="diary_link.revoke",
        entity="diary_link",
        entity_id=link.id,
        patient_id=patient_id,
    )
    return link


def notes(session: Session, *, patient_id: int, limit: int = 20) -> list[DiaryNote]:
    """The patient's diary notes, newest first."""
    return list(
        session.exec(
            select(DiaryNote)
            .where(DiaryNote.patient_id == patient_id)
            .order_by(col(DiaryNote.written_on).desc(), col(DiaryNote.id).desc())
            .limit(limit)
        ).all()
    )


class DiaryGuessThrottled(login_throttle.LoginThrottled):
    """Too many unknown diary tokens from this address lately (429)."""


class DiaryLinkGone(NotFound):
    """A diary link that expired or was revoked (410): it writes nothing."""

    status_code = 410


@dataclass(frozen=True)
class Opened:
    """A live diary link and what its page may show: the patient's first name only."""

    link: DiaryLink
    first_name: str
    # The address's token, so that the page's forms can name their own address.
    token: str = ""

    @property
    def actor(self) -> Actor:
        """The audit trail's name for the patient writing through this link."""
        return link_actor(self.link, None)


def link_actor(link: DiaryLink, ip_address: str | None) -> Actor:
    """The patient writing through a diary link, as the audit trail names them."""
    return Actor(
        id=None, username=f"patient (diary link {link.id})", role="viewer", ip_address=ip_address
    )


def open_link(
    session: Session, *, token: str, today: date, now: datetime, ip_address: str | None
) -> Opened:
    """The live link behind a token; DiaryGuessThrottled after too many unknown tokens from
    this address, NotFound for an unknown token (counted as a failed try), DiaryLinkGone
    for an expired or revoked link."""
    if ip_address:
        login_throttle.serialise(session, f"diary:{ip_address}")
        wait = login_throttle.wait_for(
            session,
            (LoginAttempt.username == GUESS_NAME) & (LoginAttempt.ip_address == ip_address),
            now,
        )
        if wait:
            raise DiaryGuessThrottled(wait)
    link = None
    if _TOKEN_SHAPE.match(token):
        link = session.exec(
            select(DiaryLink).where(DiaryLink.token_hash == token_digest(token))
        ).first()
    if link is None:
        session.add(
            LoginAttempt(
                username=GUESS_NAME, ip_address=ip_address, succeeded=False, attempted_at=now
            )
        )
        session.flush()
        raise NotFound("This diary link is not known.")
    if link.revoked_at is not None or link.expires_on < today:
        raise DiaryLinkGone("This diary link no longer works.")
    patient = get_patient(session, link.patient_id)
    audit.patient_viewed(
        session, actor=link_actor(link, ip_address), patient_id=link.patient_id, part="diary page"
    )
    return Opened(link=link, first_name=patient.given_name, token=token)


@dataclass(frozen=True)
class DiaryEntry:
    """What the patient recorded on the diary page (any part may be left empty)."""

    taken_on: date
    grip_measure: str = MeasureCode.GRIP_DYNAMOMETER
    grip_left: float | None = None
    grip_right: float | None = None
    timing: str = Timing.CLINIC
    wore_off_on: date | None = None
    note: str = ""


def record_entry(
    session: Session,
    *,
    link: DiaryLink,
    entry: DiaryEntry,
    today: date,
    ip_address: str | None = None,
) -> int:
    """Record the patient's grips (home readings), wear-off day and note through the link;
    the patient is the link's own, never one named by the caller. Returns how many values
    were recorded; Invalid naming the field for a value out of range."""
    patient_id = link.patient_id
    who = link_actor(link, ip_address)
    if entry.grip_measure not in GRIP_MEASURES:
        raise Invalid("choose the grip device", field="grip_measure")
    if entry.timing not in TIMINGS:
        raise Invalid("say when the grip was measured", field="timing")
    # Everything is checked before anything is written, so a refused value leaves nothing.
    grips = [
        (side, value)
        for side, value in ((Side.LEFT, entry.grip_left), (Side.RIGHT, entry.grip_right))
        if value is not None
    ]
    for side, value in grips:
        try:
            validate_score(entry.grip_measure, side, value)
        except ScoreError as exc:
            raise Invalid(exc.message, field=f"grip_{side}") from exc
    if grips and entry.taken_on > today:
        raise Invalid("that day is still to come", field="taken_on")
    day = None
    if entry.wore_off_on is not None:
        if entry.wore_off_on > today:
            raise Invalid("that day is still to come", field="wore_off_on")
        day = wear_off_day(session, patient_id=patient_id, wore_off_on=entry.wore_off_on)
        try:
            validate_score(MeasureCode.WEAR_OFF_DAY, None, day)
        except ScoreError as exc:
            raise Invalid("that is too long after the last infusion", field="wore_off_on") from exc
    count = 0
    for side, value in grips:
        record_assessment(
            session,
            actor=who,
            patient_id=patient_id,
            data=AssessmentCreate(
                taken_on=entry.taken_on,
                measure=entry.grip_measure,
                side=side,
                value=value,
                timing=Timing(entry.timing),
                source=Source.HOME,
            ),
            today=today,
            refresh=False,
        )
        count += 1
    if entry.wore_off_on is not None and day is not None:
        record_assessment(
            session,
            actor=who,
            patient_id=patient_id,
            data=AssessmentCreate(
                taken_on=entry.wore_off_on,
                measure=MeasureCode.WEAR_OFF_DAY,
                value=day,
                timing=Timing.CLINIC,
                source=Source.HOME,
            ),
            today=today,
            refresh=False,
        )
        count += 1
    text = entry.note.strip()
    if text:
        row = DiaryNote(
            patient_id=patient_id, diary_link_id=link.id or 0, written_on=today, text=text[:2000]
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=who,
            action="diary_note.create",
            entity="diary_note",
            entity_id=row.id,
            patient_id=patient_id,
            changes={"written_on": today.isoformat(), "text": row.text},
        )
        count += 1
    if count:
        refresh_state(session, patient_id=patient_id, today=today)
    return count


def wear_off_day(session: Session, *, patient_id: int, wore_off_on: date) -> int:
    """The day of the cycle a wear-off falls on: days since the last course given before it."""
    last = session.exec(
        select(Infusion.scheduled_on)
        .where(
            Infusion.patient_id == patient_id,
            Infusion.status == CourseStatus.GIVEN,
            Infusion.scheduled_on < wore_off_on,
        )
        .order_by(col(Infusion.scheduled_on).desc())
    ).first()
    if last is None:
        raise Invalid("there is no infusion before that day", field="wore_off_on")
    return (wore_off_on - last).days
