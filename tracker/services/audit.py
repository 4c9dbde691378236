"""The audit trail: who did what, when; append-only and HMAC-chained."""

import hashlib
import hmac
import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import event, text
from sqlmodel import Session, select

from tracker.services.actors import Actor
from tracker.settings import get_settings
from tracker.store.models import AuditEvent
from tracker.store.types import utcnow

_PENDING = "audit_pending"
# A fixed key for pg_advisory_xact_lock: one chain, appended by one transaction at a time.
_CHAIN_LOCK_KEY = 0x1C_A0D1


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str = "",
    entity_id: Any = None,
    patient_id: int | None = None,
    changes: dict | None = None,
) -> None:
    """Queue an audit entry; it is written, chained, in the same commit as the change."""
    session.info.setdefault(_PENDING, []).append(
        AuditEvent(
            at=utcnow(),
            actor_id=actor.id,
            actor_name=actor.username,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            patient_id=patient_id,
            changes=_jsonable(changes or {}),
            ip_address=actor.ip_address,
        )
    )


def diff(before: dict, after: dict) -> dict:
    """The fields that changed, as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def entry_mac(entry: AuditEvent, prev_hmac: str, key: str | None = None) -> str:
    """The HMAC-SHA256 of an entry's content chained to the previous entry's HMAC."""
    payload = json.dumps(
        {
            "id": entry.id,
            "at": entry.at.isoformat(timespec="microseconds"),
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "patient_id": entry.patient_id,
            "changes": entry.changes,
            "ip_address": entry.ip_address,
            "prev": prev_hmac,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    secret = (key or get_settings().secret_key).encode()
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Serialise appends so that two transactions never chain to the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    prev = session.exec(
        select(AuditEvent.hmac).order_by(AuditEvent.id.desc()).limit(1)
    ).first() or ""
    for entry in pending:
        session.add(entry)
        session.flush()  # the id is part of what the HMAC covers
        entry.prev_hmac = prev
        entry.hmac = entry_mac(entry, prev)
        prev = entry.hmac
    session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def verify_chain(session: Session, *, batch_size: int = 5000) -> list[tuple[int, str]]:
    """Check every entry's HMAC and link; the list of (id, problem) is empty when intact."""
    problems: list[tuple[int, str]] = []
    prev = ""
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return problems
        for entry in rows:
            if entry.prev_hmac != prev:
                problems.append((entry.id, "link to the previous entry is broken"))
            if not hmac.compare_digest(entry.hmac, entry_mac(entry, entry.prev_hmac)):
                problems.append((entry.id, "content does not match its HMAC"))
            prev = entry.hmac
            last_id = entry.id
        session.expunge_all()
