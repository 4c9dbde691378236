"""Request dependencies: the unit-of-work session, the logged-in user and role checks."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Connection, Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from tracker.services import plain_sql, staff
from tracker.services.actors import Actor
from tracker.settings import Settings
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser, WebSession

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Row ids are PostgreSQL integers: a larger number in a path is refused (422), never sent
# to the database to fail there (500).
MAX_ROW_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
# A staff member named in a path (a nurse's calendar): as long as a username may be.
UsernamePath = Annotated[str, Path(min_length=1, max_length=64)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class LoginRequired(Exception):
    """Raised on a page when nobody is logged in; the app answers with a redirect."""


Endpoint = TypeVar("Endpoint", bound=Callable)


def writes_on_get(endpoint: Endpoint) -> Endpoint:
    """Declare that a GET route writes (an audit entry): on SQLite it takes the write lock."""
    endpoint.writes_on_get = True  # type: ignore[attr-defined]  # read by _db
    return endpoint


class _UnitOfWork:
    """A request's session scope, ended once: by the endpoint's thread when it returns or
    raises (end_unit_of_work), else by the dependency after it.

    A due touch of the login's last use is held back to the end (`touches`), so that no
    row is locked before the endpoint's own hand-over: between two hand-overs a request
    holds no thread, and a lock it held there could be waited on by the request holding
    the only thread (see tracker.web.threads).
    """

    def __init__(self, scope: AbstractContextManager[Session], session: Session) -> None:
        self.scope = scope
        self.session = session
        self.touches: list[staff.Touch] = []
        self.ended = False

    def end(self, *exc_info: object) -> bool | None:
        """Save the held touches and commit (or roll back, given an exception) and close,
        the first time only."""
        if self.ended:
            return None
        self.ended = True
        if exc_info[0] is None:
            try:
                for touch in self.touches:
                    touch(self.session)
            except BaseException as exc:
                self.scope.__exit__(type(exc), exc, exc.__traceback__)  # rolls back
                raise
        return self.scope.__exit__(*exc_info)  # type: ignore[arg-type]


# The request's unit of work, seen by the thread its endpoint runs on (the thread pool runs
# each call in a copy of the request's context).
_unit_of_work: ContextVar[_UnitOfWork | None] = ContextVar("unit_of_work", default=None)


def end_unit_of_work(error: BaseException | None = None) -> None:
    """Commit (or, after `error`, roll back) and close the request's session now, on the
    endpoint's own thread (see tracker.web.routing): the dependency then has nothing left
    to do, and no lock the endpoint took outlives its hand-over."""
    unit = _unit_of_work.get()
    if unit is None:
        return
    if error is None:
        unit.end(None, None, None)
    else:
        unit.end(type(error), error, error.__traceback__)


async def _db(request: Request) -> AsyncIterator[Session]:
    # Each sync step of a request is a hand-over to the thread pool and back, which costs
    # more CPU than most statements. On PostgreSQL the scope opens nothing until its first
    # statement, so it is made here on the event loop; on SQLite it may wait for the write
    # lock, so it is made on a thread. The commit is made by the endpoint's own thread when
    # it returns (end_unit_of_work); only after an error, or for an endpoint that did not
    # end it, is it made here, on a thread.
    scope = _scope(request)
    if request.app.state.engine.dialect.name == "postgresql":
        session = scope.__enter__()
    else:
        session = await run_in_threadpool(scope.__enter__)
    unit = _UnitOfWork(scope, session)
    _unit_of_work.set(unit)  # in this request's own context (its task's)
    if getattr(request.state, "save_touch", None) is None:  # a SQLite read saves its own
        request.state.save_touch = unit.touches.append
    try:
        yield session
    except BaseException as exc:
        # Ended already: the endpoint's thread committed (and its commit failed, or the
        # error came after it, in the answer's validation).
        if unit.ended or not await run_in_threadpool(unit.end, type(exc), exc, exc.__traceback__):
            raise
    else:
        if not unit.ended:
            await run_in_threadpool(unit.end, None, None, None)


def _scope(request: Request) -> AbstractContextManager[Session]:
    engine = request.app.state.engine
    route = request.scope.get("route")
    reads = request.method in READ_METHODS
    if reads and engine.dialect.name == "sqlite" and not _writes_on_get(route):
        return contextmanager(_sqlite_read)(request, engine, route)
    # On SQLite a GET route that writes (reading a record is audited) says so
    # (writes_on_get) and begins IMMEDIATE, queueing on the write lock like any write: a
    # deferred SQLite transaction that read first fails at once (SQLITE_BUSY, no waiting)
    # when it then writes after another writer got in between. (On PostgreSQL `write`
    # changes nothing: reads that write wait on row locks like any transaction.)
    write = not reads or engine.dialect.name == "sqlite"
    return session_scope(engine, write=write)


def _writes_on_get(route: object) -> bool:
    return getattr(getattr(route, "endpoint", None), "writes_on_get", False)


def _sqlite_read(request: Request, engine: Engine | Connection, route: object) -> Iterator[Session]:
    # A GET route that does not write reads in a deferred transaction, in parallel with
    # other readers and a writer (WAL). It is refused any write, so that a route that
    # writes without saying so fails (in the tests) instead of meeting SQLITE_BUSY under
    # load. A due touch of the session's or token's last use is saved after the read, in a
    # short write scope of its own.
    touches: list[staff.Touch] = []
    request.state.save_touch = touches.append
    path = getattr(route, "path", request.url.path)
    what = f"{request.method} {path} (not declared @writes_on_get)"
    with session_scope(engine, write=False, refuse_writes=what) as s:
        yield s
    if touches:
        with session_scope(engine, write=True) as s:
            for touch in touches:
                touch(s)


def _save_touch(request: Request) -> Callable[[staff.Touch], None] | None:
    # Where a due touch of a session's or token's last use goes: saved at the end of the
    # request's unit of work (_UnitOfWork), or after a SQLite read (_sqlite_read).
    return getattr(request.state, "save_touch", None)


# scope="function": the commit happens before the answer is sent, so a client that sees
# 201 can read what it wrote in its very next request, and a failed commit is a 500.
DbSession = Annotated[Session, Depends(_db, scope="function")]


def client_ip(request: Request) -> str | None:
    """The client's address as the server saw it (behind a proxy: set forwarded-allow-ips)."""
    return request.client.host if request.client else None


def session_cookie_name(settings: Settings) -> str:
    """`__Host-` prefixed in production (Secure, no Domain, Path=/), plain in development."""
    return "__Host-tracker_session" if settings.env == "production" else "tracker_session"


def _api_user(
    request: Request, db: DbSession, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> StaffUser:
    found = (
        staff.api_token_login(db, token=token, save_touch=_save_touch(request)) if token else None
    )
    if found is None:
        raise HTTPException(
            status_code=401,
            detail="Not authenticated: send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    row, user = found
    _remember(request, user)
    request.state.api_token_id = row.id
    _end_login_reads(db)
    return user


def _end_login_reads(db: Session) -> None:
    # The login check runs on a hand-over of its own, the endpoint on the next. On
    # PostgreSQL its reads are committed here, so that no transaction is open while the
    # request waits for the worker's one thread (tracker.web.threads): an open one holds
    # its tables' share locks, and DDL queued behind them (an online migration's ALTER
    # TABLE) would queue every later request of the worker behind it, the one holding the
    # thread too, for ever. (What the check read stays loaded: nothing expires on commit.)
    # On SQLite a write scope keeps the write lock it began with; SQLite keeps its threads.
    # A token's check read alone (services.plain_sql) left nothing open to commit.
    if db.get_bind().dialect.name == "postgresql" and plain_sql.in_transaction(db):
        db.commit()


def api_token_in_use(request: Request) -> int | None:
    """The id of the bearer token this API request came with (None on pages)."""
    return getattr(request.state, "api_token_id", None)


def _remember(request: Request, user: StaffUser, csrf_token: str = "") -> None:
    # Plain copies: an error page is rendered after the transaction rolled back, when the
    # ORM rows can no longer be read.
    request.state.identity = {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
    }
    request.state.csrf_token = csrf_token


ApiUser = Annotated[StaffUser, Depends(_api_user, scope="function")]


def _page_login(request: Request, db: DbSession) -> tuple[WebSession, StaffUser]:
    settings: Settings = request.app.state.settings
    token = request.cookies.get(session_cookie_name(settings))
    found = (
        staff.resume_web_session(
            db,
            token=token,
            idle_minutes=settings.session_idle_minutes,
            save_touch=_save_touch(request),
        )
        if token
        else None
    )
    if found is None:
        raise LoginRequired()
    _remember(request, found[1], csrf_token=found[0].csrf_token)
    _end_login_reads(db)
    return found


async def _page_user(
    login: Annotated[tuple, Depends(_page_login, scope="function")],
) -> StaffUser:
    return login[1]


PageUser = Annotated[StaffUser, Depends(_page_user, scope="function")]
PageLogin = Annotated[tuple[WebSession, StaffUser], Depends(_page_login, scope="function")]


def _any_user(
    request: Request, db: DbSession, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> StaffUser:
    """A bearer token or a page session: for the API docs, which people and tools both read."""
    if token:
        return _api_user(request, db, token)
    try:
        return _page_login(request, db)[1]
    except LoginRequired:
        raise HTTPException(
            status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"}
        ) from None


AnyUser = Annotated[StaffUser, Depends(_any_user, scope="function")]


def actor(request: Request, user: StaffUser) -> Actor:
    """The audit identity of the request's user."""
    return staff.actor_for(user, client_ip(request))


def require_role(user: StaffUser, role: str) -> None:
    """Refuse with 403 unless the user holds `role` or a higher one."""
    if not staff.actor_for(user).can(role):
        raise HTTPException(status_code=403, detail=f"this needs the {role} role or above")


def _role_dependency(base, role: str):
    # async: a plain function dependency is run on the thread pool, a hand-over that costs
    # more than the check itself (the checks and site_today do no I/O).
    async def check(user: base) -> StaffUser:
        require_role(user, role)
        return user

    check.required_role = role  # type: ignore[attr-defined]  # read by the route-by-role test
    return Annotated[StaffUser, Depends(check, scope="function")]


# The API's role gates (viewer = any logged-in user).
ApiNurse = _role_dependency(ApiUser, "nurse")
ApiPharmacist = _role_dependency(ApiUser, "pharmacist")
ApiAdmin = _role_dependency(ApiUser, "admin")
# The pages' role gates.
PageNurse = _role_dependency(PageUser, "nurse")
PagePharmacist = _role_dependency(PageUser, "pharmacist")
PageAdmin = _role_dependency(PageUser, "admin")


async def site_today(request: Request) -> date:
    """Today in the site time zone: the clinical day."""
    return datetime.now(request.app.state.settings.zone).date()


Today = Annotated[date, Depends(site_today)]
