"""Logging in to the pages, posting forms with their CSRF token, clients per role."""

import re

from fastapi.testclient import TestClient

from tests.conftest import TEST_PASSWORD


def log_in(client, make_user, role="pharmacist", username=None):
    """Log a new user of the role in to the pages; the user."""
    user = make_user(username or f"{role}.page", role)
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
    answer = client.post(
        "/login",
        data={
            "username": user.username,
            "password": TEST_PASSWORD,
            "next": "/",
            "login_csrf": token,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return user


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post_form(client, page_url: str, action: str, data: dict, **kwargs):
    """Post a form the way a browser would: the page first, then its token with the data."""
    token = csrf_of(client.get(page_url).text)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False, **kwargs)


def page_client(app, make_user, role: str, username: str | None = None) -> TestClient:
    """A browser-like client logged in to the pages as a new user; `.csrf` is its token."""
    client = TestClient(app, base_url="http://testserver")
    client.user = log_in(client, make_user, role, username or f"{role}.pages")
    client.csrf = csrf_of(client.get("/account/password").text)
    return client


def another_device(app, client: TestClient) -> TestClient:
    """A second browser logged in to the same account as `client`."""
    return page_client(app, lambda *_: client.user, client.user.role)
