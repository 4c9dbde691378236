"""Passwords (argon2id, 12 to 256 characters, not common) and login throttling (10 failures
in 15 minutes per account and per address)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from argon2 import extract_parameters
from sqlmodel import select

from tests.conftest import TEST_PASSWORD
from tracker.services import passwords, staff
from tracker.services.actors import SYSTEM
from tracker.services.errors import Invalid
from tracker.store.models import AuditEvent, LoginAttempt

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_hashes_are_argon2id_at_or_above_owasps_minimum():
    hashed = passwords.hash_password("a long enough password")
    params = extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    # OWASP Password Storage Cheat Sheet: argon2id with m >= 19 MiB, t >= 2, p >= 1.
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1
    assert passwords.verify_password(hashed, "a long enough password")
    assert not passwords.verify_password(hashed, "a long enough passworD")


def test_a_weaker_hash_is_upgraded_at_the_next_login(session, make_user):
    from argon2 import PasswordHasher

    user = make_user("old.hash", "nurse")
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(
        TEST_PASSWORD
    )
    session.commit()
    assert (
        staff.authenticate(
            session, username="old.hash", password=TEST_PASSWORD, ip_address="10.0.0.1"
        )
        is not None
    )
    assert extract_parameters(user.password_hash).memory_cost == passwords.MEMORY_COST_KIB


def test_the_shipped_list_holds_at_least_ten_thousand_common_passwords():
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert {"password", "123456", "qwerty", "iloveyou"} <= common
    assert not any(p.startswith("#!") for p in common)  # the header is not a password


@pytest.mark.parametrize(
    "password,reason",
    [
        ("short pass", "at least 12"),
        ("x" * 257, "at most 256"),
        ("1qaz2wsx3edc", "common passwords"),  # on the list as it is
        ("1QAZ2WSX3EDC", "common passwords"),  # compared case-insensitively
        ("Password12345!", "common passwords"),  # a listed word with digits and symbols added
        ("aaaaaaaaaaaaaaaa", "too few characters"),
        ("my name is gail.gray, hi", "username"),
        ("ivig-tracker-2026!", "name of this system"),
    ],
)
def test_weak_passwords_are_refused(session, password, reason):
    with pytest.raises(Invalid) as refused:
        staff.create_user(
            session, actor=SYSTEM, username="gail.gray", role="nurse", password=password
        )
    assert reason in refused.value.message and refused.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Zq7#mK2!vR9@wL4$",
        "é" * 6 + "ünïcødé ok",
        "tulip river granite " * 12,
    ],
)  # 240: over 128 is fine
def test_long_and_unusual_passwords_are_accepted(session, password):
    user = staff.create_user(
        session, actor=SYSTEM, username="hal.hope", role="nurse", password=password
    )
    assert passwords.verify_password(user.password_hash, password)


def test_the_admin_api_refuses_a_common_password_by_name(client, api_as):
    answer = client.post(
        "/api/v1/admin/users",
        headers=api_as("admin", "adm.api"),
        json={"username": "ivan", "role": "viewer", "password": "iloveyou1234"},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "password"]


def _page_login(client, username, password):
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": token, "next": "/"},
        follow_redirects=False,
    )


def _api_login(client, username, password, ip=None):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_the_eleventh_try_on_an_account_is_refused_without_checking_the_password(
    client, make_user, session
):
    make_user("tom.target", "nurse")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(10):
            assert _api_login(client, "tom.target", "wrong guess").status_code == 401
            clock.shift(timedelta(seconds=30))
        # Even the right password: the throttle answers before the password is looked at.
        refused = _api_login(client, "tom.target", TEST_PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed attempts; try again in" in refused.json()["detail"]
        wait = int(refused.headers["retry-after"])
        assert wait == 15 * 60 - 10 * 30  # until the oldest of the ten is 15 minutes old
        page = _page_login(client, "tom.target", TEST_PASSWORD)
        assert page.status_code == 429
        assert "Too many failed attempts; try again in 10 minutes." in page.text
        attempts = session.exec(
            select(LoginAttempt).where(LoginAttempt.username == "tom.target")
        ).all()
        assert len(attempts) == 10  # refused tries are not failures: waiting always works
        throttled = session.exec(
            select(AuditEvent).where(AuditEvent.action == "login.throttled")
        ).all()
        assert len(throttled) == 2 and throttled[0].actor_name == "tom.target"
        clock.shift(timedelta(seconds=wait))
        assert _api_login(client, "tom.target", TEST_PASSWORD).status_code == 200


def test_one_address_trying_many_accounts_is_throttled_too(client, make_user):
    make_user("una.user", "viewer")
    for n in range(10):
        assert _api_login(client, f"someone{n}", "guess guess guess").status_code == 401
    # A different account, the right password, but the same address.
    assert _api_login(client, "una.user", TEST_PASSWORD).status_code == 429


def test_failures_older_than_15_minutes_do_not_count(client, make_user):
    make_user("val.user", "viewer")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(9):
            _api_login(client, "val.user", "wrong guess")
        clock.shift(timedelta(minutes=16))
        for _ in range(9):
            _api_login(client, "val.user", "wrong guess")
        assert _api_login(client, "val.user", TEST_PASSWORD).status_code == 200
