"""Admin API: staff accounts, integration tokens and reading the audit trail."""

from typing import Annotated

from fastapi import Query, Request

from tracker.schemas.common import Day
from tracker.schemas.staff import (
    ApiTokenRead,
    AuditPage,
    IntegrationTokenCreate,
    IssuedToken,
    PasswordReset,
    SessionsEnded,
    StaffUserCreate,
    StaffUserRead,
    StaffUserUpdate,
)
from tracker.services import audit, staff, staff_admin
from tracker.store.models import ApiToken, StaffUser
from tracker.web.deps import (
    MAX_ROW_ID,
    ApiAdmin,
    DbSession,
    IdPath,
    actor,
    api_token_in_use,
    writes_on_get,
)
from tracker.web.openapi_answers import also_answers
from tracker.web.routing import Router

router = Router(prefix="/api/v1/admin", tags=["admin"])


def _user_read(user: StaffUser, live_sessions: int = 0) -> StaffUserRead:
    return StaffUserRead.model_validate(user).model_copy(update={"live_sessions": live_sessions})


def _token_read(token: ApiToken, username: str) -> dict:
    fields = ApiTokenRead.model_fields.keys() - {"username", "status"}
    return {name: getattr(token, name) for name in fields} | {
        "username": username,
        "status": staff_admin.token_status(token),
    }


@router.get("/users", response_model=list[StaffUserRead])
def list_users(request: Request, db: DbSession, user: ApiAdmin):
    """Every staff account, with its count of live web sessions."""
    idle = request.app.state.settings.session_idle_minutes
    rows = staff_admin.list_users(db, idle_minutes=idle)
    return [_user_read(row.user, row.live_sessions) for row in rows]


@router.post("/users", status_code=201, response_model=StaffUserRead, responses=also_answers(409))
def create_user(request: Request, db: DbSession, user: ApiAdmin, body: StaffUserCreate):
    """Make a staff account (409 when the username is taken; 422 for a weak password)."""
    made = staff.create_user(
        db,
        actor=actor(request, user),
        username=body.username,
        role=body.role,
        password=body.password,
        email=body.email,
        full_name=body.full_name,
    )
    return _user_read(made)


@router.patch("/users/{user_id}", response_model=StaffUserRead, responses=also_answers(409))
def update_user(
    request: Request, db: DbSession, user: ApiAdmin, user_id: IdPath, body: StaffUserUpdate
):
    """Change role, name, e-mail or `is_active`; disabling ends the account's sessions (409
    for the last active admin, and for one's own role or one's own account disabled)."""
    changed = staff_admin.update_user(
        db, actor=actor(request, user), user_id=user_id, changes=body.model_dump(exclude_unset=True)
    )
    return _user_read(changed)


@router.post("/users/{user_id}/end-sessions", response_model=SessionsEnded)
def end_sessions(request: Request, db: DbSession, user: ApiAdmin, user_id: IdPath):
    """End every web session and login token of the account at once."""
    return {"ended": staff_admin.end_sessions(db, actor=actor(request, user), user_id=user_id)}


@router.post("/users/{user_id}/reset-password", response_model=PasswordReset)
def reset_password(request: Request, db: DbSession, user: ApiAdmin, user_id: IdPath):
    """Give the account a new random password, shown once; its sessions end."""
    return {"password": staff_admin.reset_password(db, actor=actor(request, user), user_id=user_id)}


@router.get("/tokens", response_model=list[ApiTokenRead])
def list_tokens(db: DbSession, user: ApiAdmin):
    """Every integration token, newest first (the tokens themselves are never shown again)."""
    return [_token_read(t, name) for t, name in staff_admin.integration_tokens(db)]


@router.post(
    "/tokens", status_code=201, response_model=IssuedToken, responses=also_answers(404, 409)
)
def issue_token(request: Request, db: DbSession, user: ApiAdmin, body: IntegrationTokenCreate):
    """Issue an integration token acting as an account; `token` is in this answer only (404
    for an unknown account, 409 for a disabled one)."""
    token, row = staff_admin.issue_integration_token(
        db, actor=actor(request, user), user_id=body.user_id, name=body.name, days=body.days
    )
    owner = staff_admin.get_user(db, row.user_id)
    return _token_read(row, owner.username) | {"token": token}


@router.post("/tokens/{token_id}/revoke", response_model=ApiTokenRead, responses=also_answers(409))
def revoke_token(request: Request, db: DbSession, user: ApiAdmin, token_id: IdPath):
    """Revoke a token at once (409 for the token this request is made with)."""
    row = staff_admin.revoke_token(
        db, actor=actor(request, user), token_id=token_id, in_use=api_token_in_use(request)
    )
    return _token_read(row, staff_admin.get_user(db, row.user_id).username)


@router.get("/audit", response_model=AuditPage)
@writes_on_get
def read_audit(
    request: Request,
    db: DbSession,
    user: ApiAdmin,
    actor_name: Annotated[str, Query(alias="actor", max_length=64)] = "",
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    action: Annotated[str, Query(max_length=40)] = "",
    from_day: Annotated[Day | None, Query(alias="from")] = None,
    to_day: Annotated[Day | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
):
    """Audit entries, newest first, filtered by actor, patient, action and UTC days."""
    where = audit.AuditFilter(
        actor=actor_name, patient_id=patient_id, action=action, from_day=from_day, to_day=to_day
    )
    total, rows = audit.search(db, where=where, limit=limit, offset=offset)
    # Reading the trail in bulk is itself recorded (after the search: not in its own answer).
    audit.record(
        db,
        actor=actor(request, user),
        action="audit.read",
        entity="audit_event",
        changes={"format": "api", **where.as_dict(), "offset": offset, "limit": limit},
    )
    return {"total": total, "items": rows}
