"""The outbox page: pharmacists see pending, sent and failed mail and can retry a failure."""

import pytest
from sqlmodel import select

from tests.builders.pages import csrf_of, log_in
from tracker.services import outbox
from tracker.store.models import AuditEvent, OutboxMessage
from tracker.store.types import utcnow


def _message(session, key: str, status: str, **fields) -> OutboxMessage:
    row = OutboxMessage(
        dedup_key=key,
        kind=outbox.REMINDER,
        to_address=f"{key}@example.org",
        subject=f"Subject {key}",
        body_text="b",
        status=status,
        **fields,
    )
    session.add(row)
    session.commit()
    return row


def test_tabs_show_counts_and_rows(client, make_user, session):
    _message(session, "waiting", "pending")
    _message(session, "going", "sending", attempts=1)
    _message(session, "done", "sent", sent_at=utcnow(), attempts=1)
    _message(
        session,
        "bounced",
        "failed",
        failed_at=utcnow(),
        attempts=3,
        last_error="recipient refused: 550 No such user here",
    )
    log_in(client, make_user, "pharmacist")

    pending = client.get("/outbox")
    assert pending.status_code == 200
    assert "waiting@example.org" in pending.text and "going@example.org" in pending.text
    assert "done@example.org" not in pending.text and "Retry" not in pending.text
    for label, count in (("Pending", 2), ("Sent", 1), ("Failed", 1)):
        assert f'{label}\n    <span class="count">{count}</span>' in pending.text

    failed = client.get("/outbox?status=failed")
    assert "bounced@example.org" in failed.text and "550 No such user here" in failed.text
    assert "Retry" in failed.text and "waiting@example.org" not in failed.text
    assert "done@example.org" in client.get("/outbox?status=sent").text


def test_retry_puts_a_failed_message_back_and_is_audited(client, make_user, session):
    row = _message(
        session,
        "bounced",
        "failed",
        failed_at=utcnow(),
        attempts=3,
        last_error="timed out",
        first_attempt_at=utcnow(),
    )
    log_in(client, make_user, "admin")
    token = csrf_of(client.get("/outbox?status=failed").text)

    answer = client.post(
        f"/outbox/{row.id}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    session.expire_all()
    retried = session.get(OutboxMessage, row.id)
    assert (retried.status, retried.attempts, retried.first_attempt_at) == ("pending", 0, None)
    assert retried.next_attempt_at <= utcnow()
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.entity_id, event.actor_name) == (
        "outbox.retry",
        str(row.id),
        "admin.page",
    )

    again = client.post(
        f"/outbox/{row.id}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    assert again.status_code == 409  # only a failed message can be retried


def test_retry_without_the_csrf_token_changes_nothing(client, make_user, session):
    row = _message(session, "bounced", "failed", failed_at=utcnow())
    log_in(client, make_user, "pharmacist")
    client.get("/outbox")
    for data in ({}, {"csrf_token": "forged"}):
        answer = client.post(f"/outbox/{row.id}/retry", data=data, follow_redirects=False)
        assert answer.status_code == 403
    session.expire_all()
    assert session.get(OutboxMessage, row.id).status == "failed"


@pytest.mark.parametrize("role", ["nurse", "viewer"])
def test_nurses_and_viewers_may_not_see_the_outbox(client, make_user, session, role):
    row = _message(session, "bounced", "failed", failed_at=utcnow())
    log_in(client, make_user, role)
    assert client.get("/outbox").status_code == 403
    assert client.post(f"/outbox/{row.id}/retry", data={}).status_code == 403
