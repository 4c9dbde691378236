"""Admin pages: staff accounts, integration tokens and the audit trail with its export."""

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from tracker.schemas.common import Day
from tracker.schemas.staff import IntegrationTokenCreate, StaffUserCreate
from tracker.services import audit, staff, staff_admin
from tracker.services.errors import ServiceError
from tracker.store.engine import session_scope
from tracker.store.models import ROLES
from tracker.store.types import utcnow
from tracker.web.deps import MAX_ROW_ID, DbSession, IdPath, PageAdmin, actor, writes_on_get
from tracker.web.forms import VerifiedForm, form_values, parse, service_error
from tracker.web.routing import Router
from tracker.web.templating import render
from tracker.web.threads import runs_long

router = Router(prefix="/admin", include_in_schema=False)

USER_FIELDS = ["username", "full_name", "email", "role"]
TOKEN_FIELDS = ["user_id", "name", "days"]


def _idle_minutes(request: Request) -> int:
    return request.app.state.settings.session_idle_minutes


def _users_page(request, db, *, values=None, errors=None, shown=None, notice="", status=200):
    return render(
        request,
        "admin_users.html",
        {
            "rows": staff_admin.list_users(db, idle_minutes=_idle_minutes(request)),
            "roles": ROLES,
            "role_options": [(r, r.title()) for r in ROLES],
            "values": values or {"role": "viewer"},
            "errors": errors or {},
            "shown": shown,
            "notice": notice,
        },
        status_code=status,
    )


@router.get("/users")
def users_page(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    done: Annotated[str, Query(max_length=40)] = "",
):
    """Every staff account, what can be done to each, and the form for a new one."""
    return _users_page(request, db, notice=DONE_NOTES.get(done, ""))


DONE_NOTES = {
    "role": "The role was changed.",
    "disable": "The account is disabled and its sessions have ended.",
    "enable": "The account can log in again.",
    "sessions": "Every session of the account has ended.",
}


@router.post("/users")
def create_user(request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm):
    """Make an account with a random password, shown once to hand over."""
    values = form_values(form, USER_FIELDS)
    password = staff_admin.new_random_password()
    result = parse(StaffUserCreate, values | {"password": password}, values)
    if result.ok:
        data = result.model
        try:
            made = staff.create_user(
                db,
                actor=actor(request, user),
                username=data.username,
                role=data.role,
                password=password,
                email=data.email,
                full_name=data.full_name,
            )
            return _users_page(request, db, shown={"username": made.username, "password": password})
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _users_page(request, db, values=values, errors=result.errors, status=422)


def _change(request, db, user, user_id: int, changes: dict, done: str):
    try:
        staff_admin.update_user(db, actor=actor(request, user), user_id=user_id, changes=changes)
    except ServiceError as exc:
        db.rollback()
        return _users_page(request, db, errors=service_error(exc), status=exc.status_code)
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


@router.post("/users/{user_id}/role")
def change_role(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, user_id: IdPath
):
    """Give the account another role."""
    return _change(request, db, user, user_id, {"role": str(form.get("role", ""))[:12]}, "role")


@router.post("/users/{user_id}/disable")
def disable_user(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, user_id: IdPath
):
    """Stop the account logging in; its sessions end at once."""
    return _change(request, db, user, user_id, {"is_active": False}, "disable")


@router.post("/users/{user_id}/enable")
def enable_user(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, user_id: IdPath
):
    """Let a disabled account log in again."""
    return _change(request, db, user, user_id, {"is_active": True}, "enable")


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, user_id: IdPath
):
    """A new random password for the account, shown once; its sessions end."""
    password = staff_admin.reset_password(db, actor=actor(request, user), user_id=user_id)
    target = staff_admin.get_user(db, user_id)
    return _users_page(request, db, shown={"username": target.username, "password": password})


@router.post("/users/{user_id}/sessions/end")
def end_sessions(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, user_id: IdPath
):
    """End every session and login token of the account."""
    staff_admin.end_sessions(db, actor=actor(request, user), user_id=user_id)
    return RedirectResponse("/admin/users?done=sessions", status_code=303)


def _tokens_page(request, db, *, values=None, errors=None, issued=None, status=200):
    now = utcnow()
    return render(
        request,
        "admin_tokens.html",
        {
            "tokens": [
                (t, name, staff_admin.token_status(t, now))
                for t, name in staff_admin.integration_tokens(db)
            ],
            "accounts": [
                (row.user.id, f"{row.user.username} ({row.user.role})")
                for row in staff_admin.list_users(db, idle_minutes=_idle_minutes(request))
                if row.user.is_active
            ],
            "values": values or {"days": "365"},
            "errors": errors or {},
            "issued": issued,
        },
        status_code=status,
    )


@router.get("/tokens")
def tokens_page(request: Request, db: DbSession, user: PageAdmin):
    """Integration tokens: issue one, see when each was last used, revoke."""
    return _tokens_page(request, db)


@router.post("/tokens")
def issue_token(request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm):
    """Issue a token; it is shown on this answer only."""
    values = form_values(form, TOKEN_FIELDS)
    result = parse(IntegrationTokenCreate, values, values)
    if result.ok:
        data = result.model
        try:
            token, row = staff_admin.issue_integration_token(
                db, actor=actor(request, user), user_id=data.user_id, name=data.name, days=data.days
            )
            return _tokens_page(request, db, issued={"name": row.name, "token": token})
        except ServiceError as exc:
            db.rollback()
            result.errors = service_error(exc)
    return _tokens_page(request, db, values=values, errors=result.errors, status=422)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, token_id: IdPath
):
    """Revoke the token at once."""
    staff_admin.revoke_token(db, actor=actor(request, user), token_id=token_id)
    return RedirectResponse("/admin/tokens", status_code=303)


AuditActor = Annotated[str, Query(alias="actor", max_length=64)]
AuditPatient = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
AuditAction = Annotated[str, Query(max_length=40)]
AuditFrom = Annotated[Day | None, Query(alias="from")]
AuditTo = Annotated[Day | None, Query(alias="to")]


def audit_filter(
    actor_name: AuditActor = "",
    patient_id: AuditPatient = None,
    action: AuditAction = "",
    from_day: AuditFrom = None,
    to_day: AuditTo = None,
) -> audit.AuditFilter:
    """The audit page's filter, from its query string (the page and its CSV share it)."""
    return audit.AuditFilter(
        actor=actor_name, patient_id=patient_id, action=action, from_day=from_day, to_day=to_day
    )


AuditWhere = Annotated[audit.AuditFilter, Depends(audit_filter)]


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    where: AuditWhere,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=10, le=500)] = 100,
):
    """The audit trail, newest first, filtered by actor, patient, action and UTC days."""
    total, rows = audit.search(db, where=where, limit=limit, offset=offset)
    query = _filter_query(where)

    def page_query(new_offset: int) -> str:
        return urlencode(query | {"offset": max(new_offset, 0), "limit": limit})

    return render(
        request,
        "admin_audit.html",
        {
            "rows": rows,
            "total": total,
            "offset": offset,
            "limit": limit,
            "f": where,
            "actions": audit.actions(db),
            "page_query": page_query,
            "export_query": urlencode(query),
        },
    )


def _filter_query(where: audit.AuditFilter) -> dict:
    names = {
        "actor": where.actor,
        "patient_id": where.patient_id,
        "action": where.action,
        "from": where.from_day,
        "to": where.to_day,
    }
    return {
        k: v.isoformat() if isinstance(v, date) else v
        for k, v in names.items()
        if v not in ("", None)
    }


@router.get("/audit.csv")
@writes_on_get
@runs_long
def audit_export(request: Request, db: DbSession, user: PageAdmin, where: AuditWhere):
    """The filtered trail as CSV, oldest first; the export itself is recorded."""
    upto_id = audit.last_id(db)  # the export ends where the trail stood when it was asked for
    audit.record(
        db,
        actor=actor(request, user),
        action="audit.export",
        entity="audit_event",
        changes={"format": "csv", "upto_id": upto_id, **where.as_dict()},
    )
    engine = request.app.state.engine

    def lines():
        # Streamed after the request's own session has committed and closed: a session of
        # its own, so a long trail never sits in memory whole.
        with session_scope(engine, write=False) as session:
            yield from audit.export_csv(session, where=where, upto_id=upto_id)

    name = f"audit-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
