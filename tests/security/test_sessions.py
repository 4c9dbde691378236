"""Server-side sessions: random tokens, a new one at each login, idle and absolute limits,
and logout, a password change, disabling and an admin's word ending them at once."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import select

from tests.builders.pages import another_device, page_client
from tests.conftest import TEST_PASSWORD
from tracker.services.staff import token_digest
from tracker.store.models import AuditEvent, WebSession

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _logged_in(client) -> bool:
    return client.get("/patients", follow_redirects=False).status_code == 200


def test_the_cookie_holds_a_long_random_token_and_the_database_only_its_hash(
    app, make_user, session
):
    client = page_client(app, make_user, "nurse")
    token = client.cookies.get("tracker_session")
    assert len(token) >= 43  # 32 random bytes, URL-safe: 256 bits, over ASVS's 128
    row = session.exec(select(WebSession)).one()
    assert row.token_hash == token_digest(token) and token not in row.token_hash


def test_each_login_gets_a_new_token_and_ends_the_session_it_came_with(app, make_user, session):
    client = page_client(app, make_user, "nurse", "nora.nurse")
    first = client.cookies.get("tracker_session")
    form = client.get("/login").text
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
    again = client.post(
        "/login",
        data={
            "username": "nora.nurse",
            "password": TEST_PASSWORD,
            "login_csrf": login_csrf,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert again.status_code == 303
    second = client.cookies.get("tracker_session")
    assert second != first
    old = session.exec(select(WebSession).where(WebSession.token_hash == token_digest(first))).one()
    assert old.ended_at is not None
    client.cookies.clear()
    client.cookies.set("tracker_session", first)  # an old (perhaps planted) token is dead
    assert not _logged_in(client)
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "session.replaced" in actions


def test_a_session_ends_after_30_idle_minutes(app, make_user):
    with time_machine.travel(T0, tick=False) as clock:
        client = page_client(app, make_user, "viewer")
        clock.shift(timedelta(minutes=29))
        assert _logged_in(client)  # and touched: idle time counts from here
        clock.shift(timedelta(minutes=29))
        assert _logged_in(client)
        clock.shift(timedelta(minutes=31))
        assert not _logged_in(client)
        clock.shift(timedelta(minutes=1))
        assert not _logged_in(client)  # ended for good, not just this once


def test_a_session_ends_12_hours_after_login_however_busy(app, make_user):
    with time_machine.travel(T0, tick=False) as clock:
        client = page_client(app, make_user, "viewer")
        for _ in range(35):  # every 20 minutes for 11 hours 40 minutes
            clock.shift(timedelta(minutes=20))
            assert _logged_in(client)
        clock.shift(timedelta(minutes=21))
        assert not _logged_in(client)


def test_changing_the_password_ends_every_other_session_and_login_token(
    app, make_user, client, session
):
    laptop = page_client(app, make_user, "nurse", "pia.nurse")
    ward_pc = another_device(app, laptop)
    token = client.post(
        "/api/v1/auth/token", data={"username": "pia.nurse", "password": TEST_PASSWORD}
    ).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/chairs", headers=bearer).status_code == 200
    new_password = "a different long passphrase"
    answer = laptop.post(
        "/account/password",
        data={
            "csrf_token": laptop.csrf,
            "current_password": TEST_PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert _logged_in(laptop)  # this browser was given a new session
    assert not _logged_in(ward_pc)
    assert client.get("/api/v1/chairs", headers=bearer).status_code == 401
    fresh = client.post(
        "/api/v1/auth/token", data={"username": "pia.nurse", "password": new_password}
    )
    assert fresh.status_code == 200
    changed = session.exec(
        select(AuditEvent).where(AuditEvent.action == "user.password_change")
    ).one()
    assert changed.actor_name == "pia.nurse" and changed.entity_id == str(laptop.user.id)


def test_the_password_form_asks_for_the_current_password_and_a_good_new_one(
    app, make_user, session
):
    client = page_client(app, make_user, "nurse", "quin.nurse")

    def change(current, new, confirm=None):
        return client.post(
            "/account/password",
            data={
                "csrf_token": client.csrf,
                "current_password": current,
                "new_password": new,
                "confirm_password": new if confirm is None else confirm,
            },
            follow_redirects=False,
        )

    wrong = change("not my password", "another long passphrase")
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert failed[-1].changes == {"during": "password change"}  # counted, so throttled too
    assert change(TEST_PASSWORD, "password1234").status_code == 422
    assert change(TEST_PASSWORD, "short").status_code == 422
    differ = change(TEST_PASSWORD, "another long passphrase", "something else")
    assert differ.status_code == 422 and "differ" in differ.text
    assert _logged_in(client)


def test_disabling_an_account_ends_its_sessions_at_once(app, make_user, client):
    admin = page_client(app, make_user, "admin")
    nurse = page_client(app, make_user, "nurse", "rita.nurse")
    token = client.post(
        "/api/v1/auth/token", data={"username": "rita.nurse", "password": TEST_PASSWORD}
    ).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    answer = admin.post(
        f"/admin/users/{nurse.user.id}/disable",
        data={"csrf_token": admin.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert not _logged_in(nurse)
    assert client.get("/api/v1/chairs", headers=bearer).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "rita.nurse", "password": TEST_PASSWORD}
        ).status_code
        == 401
    )
    admin.post(f"/admin/users/{nurse.user.id}/enable", data={"csrf_token": admin.csrf})
    assert not _logged_in(nurse)  # enabling again does not bring old sessions back


def test_an_admin_ends_anyones_sessions(app, make_user, client, api_as, session):
    admin = page_client(app, make_user, "admin")
    viewer = page_client(app, make_user, "viewer", "vera.viewer")
    assert (
        admin.post(
            f"/admin/users/{viewer.user.id}/sessions/end",
            data={"csrf_token": admin.csrf},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert not _logged_in(viewer) and _logged_in(admin)
    again = another_device(app, viewer)
    ended = client.post(
        f"/api/v1/admin/users/{again.user.id}/end-sessions", headers=api_as("admin", "admin.api")
    )
    assert ended.status_code == 200 and ended.json() == {"ended": 1}
    assert not _logged_in(again)


def test_logout_needs_the_form_token_and_then_ends_the_session(app, make_user):
    client = page_client(app, make_user, "viewer")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert _logged_in(client)
    out = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert "tracker_session=" in out.headers["set-cookie"]  # the cookie is cleared too
    assert not _logged_in(client)
