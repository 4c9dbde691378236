"""CSRF: every page form that changes state needs the session's token; the JSON API takes
no cookies at all; the login form has a token of its own."""

import re

from sqlmodel import func, select

from tests.builders.pages import page_client
from tests.conftest import TEST_PASSWORD
from tests.security.routes import WRITE_METHODS, fill, is_api, route_keys
from tracker.store.models import StaffUser, WebSession


def _page_writes(app) -> list[tuple[str, str]]:
    # /login and the patient's diary are the forms without a session; their own tokens are
    # tested below and in tests/web/test_diary.py.
    return [
        (m, p)
        for m, p in route_keys(app)
        if m in WRITE_METHODS
        and not is_api(p)
        and p not in {"/login", "/diary/{token}", "/diary/{token}/course"}
    ]


def test_every_page_write_refuses_a_missing_blank_or_foreign_token(app, make_user, session):
    admin = page_client(app, make_user, "admin")
    other = page_client(app, make_user, "admin", "other.admin")
    writes = _page_writes(app)
    assert len(writes) >= 20
    users_before = session.exec(select(func.count()).select_from(StaffUser)).one()
    for method, path in writes:
        for data in (
            {},
            {"csrf_token": ""},
            {"csrf_token": other.csrf},
            {"csrf_token": admin.csrf[:-1]},
        ):
            answer = admin.request(method, fill(path), data=data, follow_redirects=False)
            assert answer.status_code == 403, (method, path, data, answer.status_code)
            assert "reload the page" in answer.text
    # Nothing happened: still logged in (logout refused), no account made.
    assert admin.get("/", follow_redirects=False).status_code == 200
    assert session.exec(select(func.count()).select_from(StaffUser)).one() == users_before


def test_the_token_in_a_form_is_what_makes_a_write_go_through(app, make_user, session):
    admin = page_client(app, make_user, "admin")
    answer = admin.post(
        "/admin/users",
        data={"csrf_token": admin.csrf, "username": "new.nurse", "role": "nurse"},
        follow_redirects=False,
    )
    assert answer.status_code == 200, answer.text
    assert session.exec(select(StaffUser).where(StaffUser.username == "new.nurse")).one()


def test_api_writes_take_no_cookie_only_a_bearer_token(app, make_user):
    admin = page_client(app, make_user, "admin")  # holds a live session cookie
    writes = [
        (m, p)
        for m, p in route_keys(app)
        if m in WRITE_METHODS and is_api(p) and p != "/api/v1/auth/token"
    ]
    assert len(writes) >= 20
    for method, path in writes:
        answer = admin.request(
            method,
            fill(path),
            json={},
            headers={"X-CSRF-Token": admin.csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 401, (method, path, answer.status_code)


def _login_form(client):
    page = client.get("/login")
    return re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)


def test_login_needs_the_token_of_its_own_form(client, make_user, session):
    make_user("lola.login", "nurse")
    token = _login_form(client)
    forged = client.post(
        "/login",
        data={
            "username": "lola.login",
            "password": TEST_PASSWORD,
            "login_csrf": "forged",
            "next": "/",
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "expired" in forged.text
    client.cookies.clear()  # a cross-site form: the token in the page, but not the cookie
    no_cookie = client.post(
        "/login",
        data={
            "username": "lola.login",
            "password": TEST_PASSWORD,
            "login_csrf": token,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert no_cookie.status_code == 403
    assert session.exec(select(func.count()).select_from(WebSession)).one() == 0
    token = _login_form(client)
    ok = client.post(
        "/login",
        data={
            "username": "lola.login",
            "password": TEST_PASSWORD,
            "login_csrf": token,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303


FOREIGN = (
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://testserver.evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
)


def test_every_page_write_refuses_a_foreign_origin_even_with_the_right_token(
    app, make_user, session
):
    admin = page_client(app, make_user, "admin")
    writes = _page_writes(app)
    users_before = session.exec(select(func.count()).select_from(StaffUser)).one()
    for method, path in writes:
        for headers in FOREIGN:
            answer = admin.request(
                method,
                fill(path),
                data={"csrf_token": admin.csrf},
                headers=headers,
                follow_redirects=False,
            )
            assert answer.status_code == 403, (method, path, headers, answer.status_code)
            assert "reload the page" in answer.text
    assert admin.get("/", follow_redirects=False).status_code == 200
    assert session.exec(select(func.count()).select_from(StaffUser)).one() == users_before


def test_a_write_from_the_sites_own_origin_goes_through(app, make_user, session):
    admin = page_client(app, make_user, "admin")
    for n, headers in enumerate(
        # Chromium sends `Origin: null` from a page with `Referrer-Policy: no-referrer`.
        (
            {"Origin": "http://testserver"},
            {"Sec-Fetch-Site": "same-origin"},
            {},
            {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        )
    ):
        answer = admin.post(
            "/admin/users",
            data={"csrf_token": admin.csrf, "username": f"new.nurse{n}", "role": "nurse"},
            headers=headers,
            follow_redirects=False,
        )
        assert answer.status_code == 200, (headers, answer.text[:200])


def test_the_login_form_refuses_a_foreign_origin(client, make_user, session):
    make_user("lola.login", "nurse")
    token = _login_form(client)
    answer = client.post(
        "/login",
        data={"username": "lola.login", "password": TEST_PASSWORD, "login_csrf": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert session.exec(select(func.count()).select_from(WebSession)).one() == 0


def test_the_api_with_a_bearer_token_takes_any_origin(client, api_as):
    answer = client.post(
        "/api/v1/patients",
        headers={**api_as("pharmacist"), "Origin": "https://integration.example"},
        json={
            "mrn": "ORIGIN-1",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1970-01-01",
            "sex": None,
        },
    )
    assert answer.status_code == 201, answer.text
