"""Login for staff: pages need a session, the API needs a bearer token."""

import re

from sqlmodel import select

from tests.conftest import TEST_PASSWORD
from tracker.store.models import AuditEvent, LoginAttempt
from tracker.web.feeds import TOKEN_AUTHENTICATED_PATHS
from tracker.web.routes_index import iter_routes

# Open to all, or (calendar feeds) opened by a secret token in the URL instead of a login.
PUBLIC_PATHS = {"/healthz", "/login", *TOKEN_AUTHENTICATED_PATHS}


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_page_redirects_to_login_and_every_api_route_answers_401(app, client):
    checked = 0
    for route in iter_routes(app):
        if route.path in PUBLIC_PATHS:
            continue
        if route.path == "/api/v1/auth/token":
            continue
        for method in route.methods - {"HEAD"}:
            answer = client.request(method, _fill(route.path), follow_redirects=False)
            if route.path.startswith("/api/") or route.path in {"/openapi.json", "/docs"}:
                assert answer.status_code == 401, (method, route.path, answer.status_code)
            else:
                assert answer.status_code == 303, (method, route.path, answer.status_code)
                assert answer.headers["location"].startswith("/login?next=")
            checked += 1
    assert checked >= 4


def test_health_and_login_page_need_no_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text


def _log_in(client, username: str, password: str, next_page: str = "/"):
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": next_page, "login_csrf": token},
        follow_redirects=False,
    )


def test_login_starts_a_session_and_logout_ends_it(client, make_user, session):
    make_user("nina.nurse", "nurse")
    answer = _log_in(client, "nina.nurse", TEST_PASSWORD, "/patients?q=x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/patients?q=x"
    cookie = answer.cookies.get("tracker_session")
    assert cookie and len(cookie) >= 32
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert "samesite=lax" in answer.headers["set-cookie"].lower()

    page = client.get("/patients", follow_redirects=False)
    assert page.status_code == 200
    assert "Nina Nurse" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("tracker_session", cookie)  # replay the old cookie
    assert client.get("/patients", follow_redirects=False).status_code == 303
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login", "logout"]


def test_wrong_password_is_refused_and_recorded(client, make_user, session):
    make_user("pat.pharmacist", "pharmacist")
    answer = _log_in(client, "pat.pharmacist", "wrong password here")
    assert answer.status_code == 401
    assert "wrong password" in answer.text
    assert "tracker_session" not in answer.cookies
    attempt = session.exec(select(LoginAttempt).order_by(LoginAttempt.id.desc())).first()
    assert attempt.username == "pat.pharmacist" and attempt.succeeded is False


def test_login_redirect_never_leaves_the_site(client, make_user):
    make_user("pat.pharmacist", "pharmacist")
    answer = _log_in(client, "pat.pharmacist", TEST_PASSWORD, "//evil.example/x")
    assert answer.headers["location"] == "/"


def test_api_token_flow(client, make_user):
    make_user("vic.viewer", "viewer")
    bad = client.post("/api/v1/auth/token", data={"username": "vic.viewer", "password": "nope"})
    assert bad.status_code == 401
    good = client.post(
        "/api/v1/auth/token", data={"username": "vic.viewer", "password": TEST_PASSWORD}
    )
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) >= 32
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/openapi.json", headers=headers).status_code == 200
    forged = {"Authorization": "Bearer forged"}
    assert client.get("/openapi.json", headers=forged).status_code == 401


def test_disabled_user_cannot_log_in(client, make_user, session):
    user = make_user("gone.user", "nurse")
    user.is_active = False
    session.commit()
    answer = client.post(
        "/api/v1/auth/token", data={"username": "gone.user", "password": TEST_PASSWORD}
    )
    assert answer.status_code == 401


def test_calendar_feeds_answer_404_to_an_unknown_token(client):
    for path in TOKEN_AUTHENTICATED_PATHS:
        method = "POST" if path.endswith("/course") else "GET"  # the diary's course form
        answer = client.request(
            method, path.replace("{token}", "not-a-real-token"), follow_redirects=False
        )
        assert answer.status_code == 404
