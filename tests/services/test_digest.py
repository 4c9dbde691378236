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


# ---- waning that the patient's home readings show (issue 19, clinical rules 10) ------------


def _api_patient(client, headers, mrn: str, today: date) -> tuple[int, list[date]]:
    """An IV patient given a course on each of three days 28 days apart, the last 4 days ago."""
    from tests.builders.api import give
    from tests.builders.api import patient_with_regimen as api_patient

    first = today - timedelta(days=60)
    pid = api_patient(client, headers, mrn=mrn, starts_on=first)
    days = [first, first + timedelta(days=28), first + timedelta(days=56)]
    for day in days:
        give(client, headers, pid, day)
    return pid, days


def _score(client, headers, pid, day, value, timing, source, measure="grip_vigorimeter"):
    answer = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=headers,
        json={
            "taken_on": day.isoformat(),
            "measure": measure,
            "side": "right" if measure.startswith("grip") else None,
            "value": value,
            "timing": timing,
            "source": source,
        },
    )
    assert answer.status_code == 201, answer.text


def test_the_digest_lists_patients_whose_home_readings_show_wear_off(client, api_as, session):
    today = date.today()
    api = api_as("pharmacist")
    # Grip peaks and troughs, recorded at home or in clinic; wear-off days reported through
    # the diary (home) or told to staff (clinic). Every one of them wanes at the end of dose.
    for mrn, source, kind in [
        ("HOME-GRIP", "home", "grip"),
        ("CLINIC-GRIP", "clinic", "grip"),
        ("HOME-REPORT", "home", "report"),
        ("CLINIC-REPORT", "clinic", "report"),
    ]:
        pid, days = _api_patient(client, api, mrn, today)
        for k in range(2):
            if kind == "grip":
                _score(client, api, pid, days[k] + timedelta(days=2), 62, "post_infusion", source)
                _score(client, api, pid, days[k + 1] - timedelta(1), 48, "pre_infusion", source)
            else:
                _score(client, api, pid, days[k + 1], 14, "clinic", source, "wear_off_day")
        body = client.get(f"/api/v1/patients/{pid}/schedule", headers=api).json()
        assert {"code": "waning_response", "patterns": ["end_of_dose"]} in body["flags"], mrn

    assert digest.queue_digest(session, on=today, settings=mail_settings(), alerts=[])
    (sent,) = _digests(session)
    text = sent.body_text
    section = text[text.index("Wear-off in home readings") :]
    listed = (
        section[: section.index("New clinical flags")] if "New clinical" in section else section
    )
    assert "MRN HOME-GRIP" in listed and "MRN HOME-REPORT" in listed
    assert "MRN CLINIC-GRIP" not in listed and "MRN CLINIC-REPORT" not in listed
    assert "end-of-dose waning: right grip (Vigorimeter) at home fell" in listed
    assert "recorded at home" in listed
