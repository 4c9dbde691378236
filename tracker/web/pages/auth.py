"""The login and logout pages."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from tracker.services import staff
from tracker.web.deps import DbSession, PageLogin, client_ip, session_cookie_name
from tracker.web.templating import render

router = APIRouter()

LOGIN_CSRF_COOKIE = "tracker_login_csrf"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would be a phishing aid.
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(
        target
    ).netloc:
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    """The login form."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
    _set_login_csrf(request, response, token)
    return response


def _set_login_csrf(request: Request, response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
        secure=settings.env == "production", max_age=3600,
    )


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
):
    """Check the credentials and start a server-side session."""
    settings = request.app.state.settings
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie_token or not secrets.compare_digest(cookie_token, login_csrf):
        error = "Your login form expired. Please try again."
        user = None
    else:
        user = staff.authenticate(
            db, username=username, password=password, ip_address=client_ip(request)
        )
        error = None if user else "Unknown username or wrong password."
    if user is None:
        token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            {"next": _safe_next(next), "login_csrf": token, "error": error, "username": username},
            status_code=401,
        )
        _set_login_csrf(request, response, token)
        return response
    token, _ = staff.start_web_session(
        db,
        user=user,
        max_hours=settings.session_max_hours,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        session_cookie_name(settings),
        token,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request,
    db: DbSession,
    login: PageLogin,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    """End the session and return to the login page."""
    web_session, user = login
    if not secrets.compare_digest(csrf_token, web_session.csrf_token):
        return RedirectResponse("/", status_code=303)
    settings = request.app.state.settings
    token = request.cookies.get(session_cookie_name(settings), "")
    staff.end_web_session(db, token=token, actor=staff.actor_for(user, client_ip(request)))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session_cookie_name(settings), path="/")
    return response
