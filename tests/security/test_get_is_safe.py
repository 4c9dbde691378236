"""No GET changes state: every GET route, read as an admin, leaves every table as it was
(apart from the audit trail, login attempts and a session's last-seen time)."""

from sqlalchemy import select
from sqlmodel import SQLModel

from tests.builders.pages import page_client
from tests.builders.records import build_world
from tests.security.routes import fill, is_api, route_keys
from tracker.store.models import AuditEvent

# What a read may write: it is audited, and sessions and tokens note when they were used.
READ_MAY_WRITE = {"audit_event", "login_attempt"}
READ_MAY_TOUCH = {("web_session", "last_seen_at"), ("api_token", "last_used_at")}


def _snapshot(session) -> dict[str, list[tuple]]:
    tables = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in READ_MAY_WRITE:
            continue
        columns = [c for c in table.columns if (table.name, c.name) not in READ_MAY_TOUCH]
        rows = session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def test_every_get_route_leaves_the_data_as_it_was(app, make_user, api_as, session):
    world = build_world(session)
    admin = page_client(app, make_user, "admin")
    bearer = api_as("admin", "admin.api")
    gets = [path for method, path in route_keys(app) if method == "GET"]
    assert len(gets) >= 30
    before = _snapshot(session)
    audit_before = session.exec(select(AuditEvent.id)).all()
    answered = 0
    for path in gets:
        url = fill(path, world.ids())
        answer = admin.get(url, headers=bearer if is_api(path) else {}, follow_redirects=False)
        assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        answered += answer.status_code == 200
    assert answered >= 30
    after = _snapshot(session)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []
    # The reads were audited, which is a write, but only ever an appended entry.
    assert len(session.exec(select(AuditEvent.id)).all()) > len(audit_before)
