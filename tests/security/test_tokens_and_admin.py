"""API tokens that expire; integration tokens admins issue (shown once) and revoke; the admin
pages and API for staff accounts."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import select

from tests.builders.pages import page_client
from tests.conftest import TEST_PASSWORD
from tracker.store.models import ApiToken, AuditEvent, StaffUser

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_login_token_expires_after_the_configured_hours(client, make_user):
    make_user("wes.viewer", "viewer")
    with time_machine.travel(T0, tick=False) as clock:
        answer = client.post(
            "/api/v1/auth/token", data={"username": "wes.viewer", "password": TEST_PASSWORD}
        ).json()
        assert answer["expires_in"] == 8 * 3600
        clock.shift(timedelta(hours=7, minutes=59))
        assert (
            client.get("/api/v1/chairs", headers=_bearer(answer["access_token"])).status_code == 200
        )
        clock.shift(timedelta(minutes=2))
        assert (
            client.get("/api/v1/chairs", headers=_bearer(answer["access_token"])).status_code == 401
        )


def test_an_integration_token_is_shown_once_acts_as_its_account_and_revokes_at_once(
    app, make_user, client, session
):
    admin = page_client(app, make_user, "admin")
    lab = make_user("lab.feed", "viewer")
    issued = admin.post(
        "/admin/tokens",
        data={
            "csrf_token": admin.csrf,
            "user_id": lab.id,
            "name": "Lab results feed",
            "days": "90",
        },
    )
    assert issued.status_code == 200
    token = re.search(r'<code class="secret">([^<]+)</code>', issued.text).group(1)
    assert token not in admin.get("/admin/tokens").text  # never shown again
    row = session.exec(select(ApiToken).where(ApiToken.kind == "integration")).one()
    assert row.token_hash != token and row.user_id == lab.id and row.last_used_at is None
    assert (row.expires_at - row.created_at).days == 90
    assert client.get("/api/v1/chairs", headers=_bearer(token)).status_code == 200
    assert client.post("/api/v1/patients", headers=_bearer(token), json={}).status_code == 403
    session.refresh(row)
    assert row.last_used_at is not None
    revoked = admin.post(
        f"/admin/tokens/{row.id}/revoke", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/chairs", headers=_bearer(token)).status_code == 401
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "api_token")).all()
    assert actions == ["token.issue", "token.revoke"]


def test_integration_tokens_through_the_admin_api(client, api_as, make_user):
    admin = api_as("admin", "adm.api")
    feed = make_user("feed.acct", "nurse")
    made = client.post(
        "/api/v1/admin/tokens",
        headers=admin,
        json={"user_id": feed.id, "name": "Pump gateway", "days": 1},
    )
    assert made.status_code == 201
    body = made.json()
    assert body["status"] == "live" and body["username"] == "feed.acct" and body["token"]
    listed = client.get("/api/v1/admin/tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["Pump gateway"] and "token" not in listed[0]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1, minutes=1)):
        assert client.get("/api/v1/chairs", headers=_bearer(body["token"])).status_code == 401
    gone = client.post(f"/api/v1/admin/tokens/{body['id']}/revoke", headers=admin)
    assert gone.json()["status"] == "revoked"
    too_long = client.post(
        "/api/v1/admin/tokens",
        headers=admin,
        json={"user_id": feed.id, "name": "Forever", "days": 3650},
    )
    assert too_long.status_code == 422


def test_disabling_an_account_ends_its_integration_tokens_for_good(client, api_as, make_user):
    # Refused while the account was disabled, its integration token worked again once the
    # account was enabled; a password reset leaves it alone (it is not the password's).
    admin = api_as("admin", "adm.disable")
    feed = make_user("feed.disabled", "viewer")
    body = client.post(
        "/api/v1/admin/tokens",
        headers=admin,
        json={"user_id": feed.id, "name": "Lab feed", "days": 30},
    ).json()
    bearer = _bearer(body["token"])
    reset = client.post(f"/api/v1/admin/users/{feed.id}/reset-password", headers=admin)
    assert reset.status_code == 200
    assert client.get("/api/v1/chairs", headers=bearer).status_code == 200
    for active in (False, True):
        changed = client.patch(
            f"/api/v1/admin/users/{feed.id}", headers=admin, json={"is_active": active}
        )
        assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/chairs", headers=bearer).status_code == 401
    (listed,) = client.get("/api/v1/admin/tokens", headers=admin).json()
    assert listed["status"] == "revoked"


def test_an_admin_makes_an_account_with_a_password_shown_once(app, make_user, client, session):
    admin = page_client(app, make_user, "admin")
    made = admin.post(
        "/admin/users",
        data={
            "csrf_token": admin.csrf,
            "username": "Xena.Nurse",
            "full_name": "Xena Nurse",
            "role": "nurse",
        },
    )
    assert made.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', made.text).group(1)
    assert len(password) >= 16
    assert password not in admin.get("/admin/users").text
    user = session.exec(select(StaffUser).where(StaffUser.username == "xena.nurse")).one()
    assert user.role == "nurse" and password not in user.password_hash
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "xena.nurse", "password": password}
        ).status_code
        == 200
    )
    taken = admin.post(
        "/admin/users", data={"csrf_token": admin.csrf, "username": "xena.nurse", "role": "nurse"}
    )
    assert taken.status_code == 422 and "taken" in taken.text


def test_resetting_a_password_replaces_it_and_ends_the_sessions(app, make_user, client):
    admin = page_client(app, make_user, "admin")
    nurse = page_client(app, make_user, "nurse", "yves.nurse")
    reset = admin.post(f"/admin/users/{nurse.user.id}/password", data={"csrf_token": admin.csrf})
    password = re.search(r'<code class="secret">([^<]+)</code>', reset.text).group(1)
    assert nurse.get("/patients", follow_redirects=False).status_code == 303
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "yves.nurse", "password": TEST_PASSWORD}
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "yves.nurse", "password": password}
        ).status_code
        == 200
    )


def test_roles_change_at_once_and_the_last_admin_stays(app, make_user, client, session):
    admin = page_client(app, make_user, "admin", "zoe.admin")
    viewer = page_client(app, make_user, "viewer", "abe.viewer")
    assert viewer.get("/patients/new").status_code == 403
    changed = admin.post(
        f"/admin/users/{viewer.user.id}/role",
        data={"csrf_token": admin.csrf, "role": "pharmacist"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert viewer.get("/patients/new").status_code == 200  # the same session, the new role
    entry = session.exec(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert entry.changes == {"role": ["viewer", "pharmacist"]} and entry.actor_name == "zoe.admin"
    for action, data in (("role", {"role": "viewer"}), ("disable", {})):
        refused = admin.post(
            f"/admin/users/{admin.user.id}/{action}", data={"csrf_token": admin.csrf} | data
        )
        assert refused.status_code == 409 and "last active admin" in refused.text
    bad_role = admin.post(
        f"/admin/users/{viewer.user.id}/role", data={"csrf_token": admin.csrf, "role": "superuser"}
    )
    assert bad_role.status_code == 422


def test_the_admin_api_manages_accounts_and_never_shows_a_hash(client, api_as, session):
    admin = api_as("admin", "adm.api")
    made = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={
            "username": "Bea.Pharm",
            "role": "pharmacist",
            "password": "a long enough password",
            "email": "bea@example.org",
        },
    )
    assert made.status_code == 201 and made.json()["username"] == "bea.pharm"
    users = client.get("/api/v1/admin/users", headers=admin)
    assert "password_hash" not in users.text and "argon2" not in users.text
    uid = made.json()["id"]
    patched = client.patch(
        f"/api/v1/admin/users/{uid}", headers=admin, json={"role": "nurse", "is_active": False}
    )
    assert patched.status_code == 200
    assert patched.json()["role"] == "nurse" and patched.json()["is_active"] is False
    assert client.post(f"/api/v1/admin/users/{uid}/reset-password", headers=admin).json()[
        "password"
    ]
    assert client.patch("/api/v1/admin/users/999999", headers=admin, json={}).status_code == 404
    assert (
        client.patch(
            f"/api/v1/admin/users/{uid}", headers=admin, json={"password_hash": "x"}
        ).status_code
        == 422
    )


def test_an_admin_cannot_lock_themselves_out(app, client, api_as, make_user, session):
    # Another active admin exists, so the last-admin rule is not what refuses: an account
    # may not change its own role nor disable itself, and a token may not revoke itself
    # (409 naming the field), for people and for tools such as the API fuzzer alike.
    other = make_user("other.admin", "admin")
    admin = api_as("admin", "self.admin")
    me = session.exec(select(StaffUser).where(StaffUser.username == "self.admin")).one()
    for change, field in (({"role": "pharmacist"}, "role"), ({"is_active": False}, "is_active")):
        refused = client.patch(f"/api/v1/admin/users/{me.id}", headers=admin, json=change)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"]["field"] == field
        assert "your own" in refused.json()["detail"]["msg"]
    # Nothing changed; a name is one's own to change.
    renamed = client.patch(f"/api/v1/admin/users/{me.id}", headers=admin, json={"full_name": "Me"})
    assert renamed.status_code == 200 and renamed.json()["role"] == "admin"
    in_use = session.exec(select(ApiToken).where(ApiToken.user_id == me.id)).one()
    refused = client.post(f"/api/v1/admin/tokens/{in_use.id}/revoke", headers=admin)
    assert refused.status_code == 409 and refused.json()["detail"]["field"] == "token_id"
    assert client.get("/api/v1/chairs", headers=admin).status_code == 200
    # Another token of one's own may go, and another admin may do what one may not.
    spare = client.post(
        "/api/v1/admin/tokens", headers=admin, json={"user_id": me.id, "name": "spare", "days": 1}
    ).json()
    assert (
        client.post(f"/api/v1/admin/tokens/{spare['id']}/revoke", headers=admin).json()["status"]
        == "revoked"
    )
    by_other = page_client(app, make_user, "admin", "third.admin")
    demoted = by_other.post(
        f"/admin/users/{me.id}/role",
        data={"csrf_token": by_other.csrf, "role": "viewer"},
        follow_redirects=False,
    )
    assert demoted.status_code == 303
    # The admin pages keep to the same rule.
    refused_page = by_other.post(
        f"/admin/users/{by_other.user.id}/disable", data={"csrf_token": by_other.csrf}
    )
    assert refused_page.status_code == 409 and "your own account" in refused_page.text
    assert other.is_active


def test_a_disabled_account_gets_no_new_token(client, api_as, make_user):
    admin = api_as("admin", "tok.admin")
    gone = make_user("gone.nurse", "nurse")
    assert (
        client.patch(
            f"/api/v1/admin/users/{gone.id}", headers=admin, json={"is_active": False}
        ).status_code
        == 200
    )
    refused = client.post(
        "/api/v1/admin/tokens", headers=admin, json={"user_id": gone.id, "name": "feed"}
    )
    assert refused.status_code == 409 and refused.json()["detail"]["field"] == "user_id"
