"""The login and logout pages, and changing one's own password."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse

from tracker.services import staff, staff_admin
from tracker.services.errors import ServiceError
from tracker.services.login_throttle import LoginThrottled
from tracker.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from tracker.web.deps import DbSession, PageLogin, client_ip, session_cookie_name
from tracker.web.forms import VerifiedForm, service_error
from tracker.web.routing import Router
from tracker.web.security import from_this_site
from tracker.web.templating import render

router = Router()

LOGIN_CSRF_COOKIE = "tracker_login_csrf"


# The login form posts `next` back with at most this many characters.
MAX_NEXT_LENGTH = 500


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would be a phishing aid. A target
    # too long to post back goes to the start page rather than failing the login.
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return "/"
    if target.startswith("//") or urlsplit(target).netloc or "\\" in target:
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: Annotated[str, Query(max_length=4000)] = "/"):
    """The login form."""
    return _login_form(request, next_page=next)


def _login_form(
    request: Request,
    *,
    next_page: str,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
):
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"next": _safe_next(next_page), "login_csrf": token, "error": error, "username": username},
        status_code=status_code,
    )
    settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
        max_age=3600,
    )
    return response


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=MAX_NEXT_LENGTH)] = "/",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
):
    """Check the credentials and start a new server-side session."""
    settings = request.app.state.settings
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    foreign = not from_this_site(
        request.headers, own_url=str(request.base_url), base_url=settings.base_url
    )
    if foreign or not cookie_token or not secrets.compare_digest(cookie_token, login_csrf):
        return _login_form(
            request,
            next_page=next,
            username=username,
            status_code=403,
            error="Your login form expired. Please try again.",
        )
    try:
        user = staff.authenticate(
            db, username=username, password=password, ip_address=client_ip(request)
        )
    except LoginThrottled as exc:
        response = _login_form(
            request, next_page=next, username=username, status_code=429, error=exc.message
        )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    if user is None:
        return _login_form(
            request,
            next_page=next,
            username=username,
            status_code=401,
            error="Unknown username or wrong password.",
        )
    # A session that came with the request ends here: the new login never inherits it.
    previous = request.cookies.get(session_cookie_name(settings))
    if previous:
        staff.end_web_session(
            db,
            token=previous,
            action="session.replaced",
            actor=staff.actor_for(user, client_ip(request)),
        )
    token, _ = staff.start_web_session(
        db,
        user=user,
        max_hours=settings.session_max_hours,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _set_session_cookie(request: Request, response, token: str) -> None:
    settings = request.app.state.settings
    # A session cookie (no Max-Age): the server's idle and absolute limits decide its life.
    response.set_cookie(
        session_cookie_name(settings),
        token,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
        path="/",
    )


@router.post("/logout", include_in_schema=False)
def logout(request: Request, db: DbSession, login: PageLogin, form: VerifiedForm):
    """End the session and return to the login page."""
    _web_session, user = login
    settings = request.app.state.settings
    token = request.cookies.get(session_cookie_name(settings), "")
    staff.end_web_session(db, token=token, actor=staff.actor_for(user, client_ip(request)))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        secure=settings.env == "production",
        httponly=True,
        samesite="lax",
    )
    return response


def _password_page(request: Request, *, errors=None, done=False, status_code=200):
    return render(
        request,
        "account_password.html",
        {
            "errors": errors or {},
            "done": done,
            "min_length": MIN_PASSWORD_LENGTH,
            "max_length": MAX_PASSWORD_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/account/password", include_in_schema=False)
def password_page(request: Request, login: PageLogin, done: bool = False):
    """The form to change one's own password."""
    return _password_page(request, done=done)


@router.post("/account/password", include_in_schema=False)
def change_password(request: Request, db: DbSession, login: PageLogin, form: VerifiedForm):
    """Change the password; every session of the account ends, this browser gets a new one."""
    _web_session, user = login
    current = str(form.get("current_password", ""))[:1024]
    new = str(form.get("new_password", ""))[:1024]
    if new != str(form.get("confirm_password", ""))[:1024]:
        return _password_page(
            request, status_code=422, errors={"confirm_password": "The two new passwords differ."}
        )
    try:
        staff_admin.change_own_password(
            db, actor=staff.actor_for(user, client_ip(request)), user=user, current=current, new=new
        )
    except ServiceError as exc:
        db.rollback()
        if isinstance(exc, staff_admin.WrongPassword):
            staff.record_failed_login(
                db,
                username=user.username,
                user_id=user.id,
                ip_address=client_ip(request),
                during="password change",
            )
        return _password_page(request, errors=service_error(exc), status_code=exc.status_code)
    settings = request.app.state.settings
    token, _ = staff.start_web_session(
        db,
        user=user,
        max_hours=settings.session_max_hours,
        ip_address=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse("/account/password?done=1", status_code=303)
    _set_session_cookie(request, response, token)
    return response
