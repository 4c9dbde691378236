"""The pharmacy's daily digest (services/digest.py)."""

from datetime import date, timedelta

from sqlmodel import select

from tests.builders.records import patient_with_regimen
from tests.builders.settings import PHARMACY, mail_settings
from tracker.services import digest, outbox
from tracker.services.reminders import Alert
from tracker.store.models import OutboxMessage
from tracker.store.types import utcnow

TODAY = date(2026, 3, 2)


def _digests(session) -> list[OutboxMessage]:
    return list(
        session.exec(select(OutboxMessage).where(OutboxMessage.kind == outbox.DIGEST)).all()
    )


def test_an_overdue_patient_is_in_the_days_digest_once(session):
    patient_with_regimen(session, today=TODAY, starts_on=TODAY - timedelta(days=60), mrn="DG-1")
    settings = mail_settings()

    assert digest.queue_digest(session, on=TODAY, settings=settings, alerts=[])
    assert not digest.queue_digest(session, on=TODAY, settings=settings, alerts=[])

    (sent,) = _digests(session)
    assert sent.dedup_key == outbox.digest_key(TODAY) and sent.to_address == PHARMACY
    assert "Overdue" in sent.body_text and "MRN DG-1" in sent.body_text
    assert f"{settings.base_url}/patients/" in sent.body_text


def test_nothing_is_written_with_nothing_to_say_or_no_pharmacy_address(session):
    assert not digest.queue_digest(session, on=TODAY, settings=mail_settings(), alerts=[])
    patient_with_regimen(session, today=TODAY, starts_on=TODAY - timedelta(days=60), mrn="DG-2")
    assert not digest.queue_digest(
        session, on=TODAY, settings=mail_settings(pharmacy_email=None), alerts=[]
    )
    assert _digests(session) == []


def test_the_sweeps_alerts_and_mail_given_up_on_since_yesterday_are_listed(session):
    session.add(
        OutboxMessage(
            dedup_key="failed-1",
            kind=outbox.REMINDER,
            to_address="bo@example.org",
            subject="Reminder",
            body_text="",
            status="failed",
            last_error="550 no such user",
            failed_at=utcnow(),
        )
    )
    session.flush()
    alert = Alert(patient_id=7, mrn="DG-3", text="waning response: end of dose")

    assert digest.queue_digest(session, on=TODAY, settings=mail_settings(), alerts=[alert])

    body = _digests(session)[0].body_text
    assert "New clinical flags" in body and "waning response: end of dose" in body
    assert "MRN DG-3" in body
    assert "could not be sent" in body and "to bo@example.org: 550 no such user" in body
    assert "appointment reminder" in body  # the kind, in words
