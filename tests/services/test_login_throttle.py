"""Throttling failed logins per account and per address (services/login_throttle.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from tracker.services.login_throttle import (
    FAILURE_LIMIT,
    WINDOW,
    LoginThrottled,
    seconds_to_wait,
)
from tracker.store.models import LoginAttempt

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _attempts(session, count, *, ago, username="ann", ip="203.0.113.9", succeeded=False):
    for i in range(count):
        session.add(
            LoginAttempt(
                username=username,
                ip_address=ip,
                succeeded=succeeded,
                attempted_at=NOW - ago + timedelta(seconds=i),
            )
        )
    session.flush()


def _wait(session, username="ann", ip="203.0.113.9"):
    return seconds_to_wait(session, username=username, ip_address=ip, now=NOW)


def test_below_the_limit_there_is_no_wait(session):
    _attempts(session, FAILURE_LIMIT - 1, ago=timedelta(minutes=5))
    assert _wait(session) == 0


def test_at_the_limit_the_wait_lasts_until_the_oldest_counted_failure_leaves_the_window(
    session,
):
    _attempts(session, FAILURE_LIMIT, ago=timedelta(minutes=5))
    # The ten failures are 5 minutes old (the first one second older than the last):
    # the oldest of them leaves the 15-minute window in 10 minutes.
    assert _wait(session) == (WINDOW - timedelta(minutes=5)).total_seconds()


def test_failures_outside_the_window_and_successes_do_not_count(session):
    _attempts(session, FAILURE_LIMIT, ago=WINDOW + timedelta(minutes=1))
    _attempts(session, FAILURE_LIMIT, ago=timedelta(minutes=1), succeeded=True)
    assert _wait(session) == 0


def test_an_address_is_throttled_across_accounts_and_an_account_across_addresses(session):
    for n in range(FAILURE_LIMIT):
        _attempts(session, 1, ago=timedelta(minutes=2), username=f"user{n}")
    assert _wait(session, username="someone.else") > 0  # same address
    assert _wait(session, username="someone.else", ip="198.51.100.7") == 0
    _attempts(session, FAILURE_LIMIT, ago=timedelta(minutes=2), username="bo", ip="198.51.100.8")
    assert _wait(session, username="bo", ip=None) > 0  # same account, no address known


@pytest.mark.parametrize(
    "seconds,text", [(1, "1 minute."), (60, "1 minute."), (61, "2 minutes."), (600, "10 minutes.")]
)
def test_the_refusal_says_how_many_minutes_to_wait(seconds, text):
    refusal = LoginThrottled(seconds)
    assert refusal.status_code == 429 and refusal.retry_after_seconds == seconds
    assert refusal.message.endswith(text)
