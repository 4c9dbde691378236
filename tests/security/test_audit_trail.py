"""The audit trail: every write and every read of a patient's record is recorded with who,
when (UTC) and what changed; the admin page filters and exports it; entries are only ever
inserted, and each is chained to the one before by an HMAC."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event
from sqlmodel import func, select

from tests.builders.pages import page_client
from tests.builders.records import build_world
from tests.opening_days import open_every_day, weekday_on_or_after
from tests.security.routes import WRITE_METHODS, fill, is_api, route_keys
from tests.web.test_api_response import _wearing_off_patient
from tracker.store.models import AuditEvent
from tracker.web.routes_index import iter_routes

TODAY = date.today()


class AuditedClient:
    """Sends API writes and checks each successful one left entries naming its actor."""

    def __init__(self, client, session):
        self.client = client
        self.session = session
        self.covered: set[tuple[str, str]] = set()

    def write(self, method, template, *, as_, ids=None, json=None, status=None):
        headers, username = as_
        last = self.session.exec(select(func.max(AuditEvent.id))).one() or 0
        answer = self.client.request(method, fill(template, ids or {}), headers=headers, json=json)
        assert 200 <= answer.status_code < 300, (template, answer.status_code, answer.text)
        entries = self.session.exec(select(AuditEvent).where(AuditEvent.id > last)).all()
        assert entries, f"{method} {template} changed data but left no audit entry"
        for entry in entries:
            assert entry.actor_name == username and entry.actor_id is not None
            assert entry.at.tzinfo is not None and entry.at.utcoffset() == timedelta(0)
            assert abs(datetime.now(UTC) - entry.at) < timedelta(minutes=1)
            assert entry.action and entry.entity
        self.covered.add((method, template))
        return answer.json(), entries


def test_every_api_write_is_audited_with_who_when_and_what(app, client, api_as, session):
    pharmacist = (api_as("pharmacist", "pam.audit"), "pam.audit")
    nurse = (api_as("nurse", "nia.audit"), "nia.audit")
    admin = (api_as("admin", "ada.audit"), "ada.audit")
    api = AuditedClient(client, session)
    open_every_day(session)  # booked tomorrow and after, whatever day today is
    patient, entries = api.write(
        "POST",
        "/api/v1/patients",
        as_=pharmacist,
        json={
            "mrn": "AUD-1",
            "given_name": "Ada",
            "family_name": "Audit",
            "birth_date": "1960-01-01",
            "sex": "female",
            "height_cm": 160,
        },
    )
    assert entries[0].changes["given_name"] == "Ada" and entries[0].patient_id == patient["id"]
    ids = {"patient_id": patient["id"]}
    _, entries = api.write(
        "PATCH", "/api/v1/patients/{patient_id}", as_=pharmacist, ids=ids, json={"height_cm": 162}
    )
    assert entries[0].action == "patient.update"
    assert entries[0].changes == {"height_cm": [160.0, 162.0]}  # the changed fields only
    api.write(
        "POST",
        "/api/v1/patients/{patient_id}/weights",
        as_=nurse,
        ids=ids,
        json={"measured_on": (TODAY - timedelta(days=2)).isoformat(), "weight_kg": 60},
    )
    api.write(
        "POST",
        "/api/v1/patients/{patient_id}/regimens",
        as_=pharmacist,
        ids=ids,
        json={"starts_on": TODAY.isoformat(), "dose_g_per_kg": 1, "interval_days": 28},
    )

    def book(day_offset):
        made, _ = api.write(
            "POST",
            "/api/v1/patients/{patient_id}/infusions",
            as_=pharmacist,
            ids=ids,
            json={"scheduled_on": (TODAY + timedelta(days=day_offset)).isoformat()},
        )
        return {"infusion_id": made["id"]}

    moved = book(1)
    _, entries = api.write(
        "POST",
        "/api/v1/infusions/{infusion_id}/reschedule",
        ids=moved,
        as_=pharmacist,
        json={"scheduled_on": (TODAY + timedelta(days=2)).isoformat()},
    )
    assert entries[0].patient_id == patient["id"]
    assert entries[0].changes["scheduled_on"] == [
        (TODAY + timedelta(days=1)).isoformat(),
        (TODAY + timedelta(days=2)).isoformat(),
    ]
    _, entries = api.write(
        "POST",
        "/api/v1/infusions/{infusion_id}/cancel",
        ids=moved,
        as_=pharmacist,
        json={"reason": "patient asked"},
    )
    assert entries[0].changes == {
        "status": ["booked", "cancelled"],
        "cancel_reason": [None, "patient asked"],
    }
    _, entries = api.write(
        "POST",
        "/api/v1/infusions/{infusion_id}/administer",
        ids=book(0),
        as_=nurse,
        json={"dose_g": 60, "lots": [{"lot_number": "A6", "vials": 6, "size_g": 10}]},
    )
    assert entries[0].changes["status"] == ["booked", "given"]
    assert entries[0].changes["dose_g"] == [None, 60.0] and "scheduled_on" not in entries[0].changes
    api.write(
        "POST",
        "/api/v1/infusions/{infusion_id}/missed",
        ids=book(3),
        as_=nurse,
        json={"reason": "did not come"},
    )
    api.write(
        "POST",
        "/api/v1/patients/{patient_id}/assessments",
        as_=nurse,
        ids=ids,
        json={"taken_on": TODAY.isoformat(), "measure": "mrc_sum", "value": 50, "timing": "clinic"},
    )
    api.write(
        "POST",
        "/api/v1/patients/{patient_id}/reviews",
        as_=pharmacist,
        ids=ids,
        json={"reviewed_on": TODAY.isoformat(), "outcome": "continue"},
    )
    treatment, entries = api.write(
        "POST",
        "/api/v1/patients/{patient_id}/other-treatments",
        as_=pharmacist,
        ids=ids,
        json={"kind": "rituximab", "started_on": TODAY.isoformat()},
    )
    assert entries[0].action == "other_treatment.create"
    _, entries = api.write(
        "POST",
        "/api/v1/other-treatments/{treatment_id}/stop",
        as_=pharmacist,
        ids={"treatment_id": treatment["id"]},
        json={"stopped_on": TODAY.isoformat()},
    )
    assert entries[0].changes == {"stopped_on": [None, TODAY.isoformat()]}
    _, entries = api.write(
        "POST",
        "/api/v1/patients/{patient_id}/diagnosis",
        as_=pharmacist,
        ids=ids,
        json={"assessed_on": TODAY.isoformat(), "weak_nerves": 2},
    )
    assert entries[0].action == "diagnosis.create" and entries[0].changes["weak_nerves"] == 2
    funding, entries = api.write(
        "POST",
        "/api/v1/patients/{patient_id}/authorizations",
        as_=pharmacist,
        ids=ids,
        json={
            "payer": "NHS England",
            "reference": "AUD-PA-1",
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=364)).isoformat(),
            "approved_g": 900,
        },
    )
    assert entries[0].action == "authorization.create"
    assert entries[0].changes["reference"] == "AUD-PA-1"
    _, entries = api.write(
        "PATCH",
        "/api/v1/authorizations/{authorization_id}",
        as_=pharmacist,
        ids={"authorization_id": funding["id"]},
        json={"approved_g": 1200, "approved_courses": None},
    )
    assert entries[0].action == "authorization.update"
    assert entries[0].changes == {"approved_g": [900.0, 1200.0]}  # the changed fields only
    _, entries = api.write(
        "POST",
        "/api/v1/patients/{patient_id}/regimens/convert-to-sc",
        as_=pharmacist,
        ids=ids,
        json={"interval_days": 7},
    )
    assert entries[0].action == "regimen.convert_to_sc"
    for path, body, mrn in (("accept", {}, "WEAR-A"), ("dismiss", {"reason": "away"}, "WEAR-D")):
        waning = {"patient_id": _wearing_off_patient(client, pharmacist[0], mrn=mrn)}
        api.write(
            "POST",
            f"/api/v1/patients/{{patient_id}}/recommendation/{path}",
            as_=pharmacist,
            ids=waning,
            json=body,
        )
    _, entries = api.write("PUT", "/api/v1/policy", as_=admin, json={"review_every_days": 300})
    assert entries[0].changes["review_every_days"][1] == 300
    assert len(entries[0].changes) == 1  # the changed fields only
    account, _ = api.write(
        "POST",
        "/api/v1/admin/users",
        as_=admin,
        json={"username": "new.viewer", "role": "viewer", "password": "a long enough password"},
    )
    user = {"user_id": account["id"]}
    _, entries = api.write(
        "PATCH",
        "/api/v1/admin/users/{user_id}",
        ids=user,
        as_=admin,
        json={"full_name": "New Viewer", "role": "viewer"},
    )
    assert entries[0].changes == {"full_name": ["", "New Viewer"]}  # role did not change
    api.write("POST", "/api/v1/admin/users/{user_id}/end-sessions", ids=user, as_=admin)
    api.write("POST", "/api/v1/admin/users/{user_id}/reset-password", ids=user, as_=admin)
    token, _ = api.write(
        "POST", "/api/v1/admin/tokens", as_=admin, json={"user_id": account["id"], "name": "feed"}
    )
    api.write(
        "POST", "/api/v1/admin/tokens/{token_id}/revoke", ids={"token_id": token["id"]}, as_=admin
    )
    week = [{"opens": "08:30", "closes": "17:00"}] * 5 + [{}, {}]
    _, entries = api.write(
        "PUT", "/api/v1/opening-hours", as_=admin, json={"days": week, "holiday_country": "GB"}
    )
    assert entries[0].action == "opening.update"
    assert entries[0].changes["holiday_country"] == ["", "GB"]
    closure, entries = api.write(
        "POST",
        "/api/v1/closures",
        as_=admin,
        json={"day": (TODAY + timedelta(days=30)).isoformat(), "reason": "staff training"},
    )
    assert entries[0].changes["reason"] == "staff training"
    _, entries = api.write(
        "DELETE", "/api/v1/closures/{closure_id}", as_=admin, ids={"closure_id": closure["id"]}
    )
    assert entries[0].action == "closure.delete"
    api_writes = {
        (m, p)
        for m, p in route_keys(app)
        if m in WRITE_METHODS and is_api(p) and p != "/api/v1/auth/token"
    }
    assert sorted(api_writes - api.covered) == []


def test_every_read_of_a_patients_record_is_audited(app, make_user, api_as, session):
    world = build_world(session)
    viewer = page_client(app, make_user, "admin", "val.reader")
    bearer = api_as("viewer", "vic.reader")
    reads = [
        p
        for m, p in route_keys(app)
        if m == "GET" and ("{patient_id}" in p or "{infusion_id}" in p)
    ]
    assert len(reads) >= 14
    for path in reads:
        last = session.exec(select(func.max(AuditEvent.id))).one()
        answer = viewer.get(fill(path, world.ids()), headers=bearer if is_api(path) else {})
        assert answer.status_code == 200, path
        views = session.exec(
            select(AuditEvent).where(AuditEvent.id > last, AuditEvent.action == "patient.view")
        ).all()
        assert len(views) == 1, path
        assert views[0].patient_id == world.patient_id and views[0].changes  # what was read
        assert views[0].actor_name == ("vic.reader" if is_api(path) else "val.reader")


def test_logins_failures_and_logouts_are_audited_with_the_address(app, client, make_user, session):
    from tests.conftest import TEST_PASSWORD

    make_user("lou.login", "viewer")
    client.post("/api/v1/auth/token", data={"username": "lou.login", "password": "nope nope"})
    client.post("/api/v1/auth/token", data={"username": "lou.login", "password": TEST_PASSWORD})
    entries = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()[-2:]
    assert [e.action for e in entries] == ["login.failed", "login"]
    assert all(e.actor_name == "lou.login" and e.ip_address == "testclient" for e in entries)
    # The pages' login and logout, too.
    browser = page_client(app, make_user, "nurse", "lia.logout")
    assert (
        browser.post(
            "/logout", data={"csrf_token": browser.csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    entries = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()[-2:]
    assert [e.action for e in entries] == ["login", "logout"]
    assert all(
        e.actor_name == "lia.logout"
        and e.ip_address == "testclient"
        and e.at.utcoffset() == timedelta(0)
        for e in entries
    )


def test_an_entry_is_only_ever_inserted_never_updated(client, api_as, connection):
    statements = []

    @event.listens_for(connection, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):
        statements.append(statement.lower())

    pharmacist = api_as("pharmacist", "ins.only")
    client.post(
        "/api/v1/patients",
        headers=pharmacist,
        json={
            "mrn": "INS-1",
            "given_name": "I",
            "family_name": "Only",
            "birth_date": "1960-01-01",
            "sex": None,
        },
    )
    event.remove(connection, "before_cursor_execute", _seen)
    assert any(s.startswith("insert into audit_event") for s in statements)
    assert not any(
        s.startswith(("update audit_event", "delete from audit_event")) for s in statements
    )


def _failed_login(client, username):
    client.post("/api/v1/auth/token", data={"username": username, "password": "x"})


def test_the_admin_page_filters_by_actor_patient_action_and_day(app, make_user, session):
    world = build_world(session)
    admin = page_client(app, make_user, "admin")
    admin.get(f"/patients/{world.patient_id}")
    by_patient = admin.get(f"/admin/audit?patient_id={world.patient_id}&action=patient")
    assert "<td>patient.view</td>" in by_patient.text
    assert "<td>patient.create</td>" in by_patient.text
    assert "<td>weight.create</td>" not in by_patient.text  # "patient" is a prefix, not a word
    assert "<td>user.create</td>" not in by_patient.text
    by_actor = admin.get("/admin/audit?actor=admin.pages&action=patient.view").text
    assert "<td>patient.view</td>" in by_actor
    assert "<td>patient.create</td>" not in by_actor  # that was "system"
    today = datetime.now(UTC).date()
    assert (
        "No entries match"
        in admin.get(f"/admin/audit?to={(today - timedelta(days=1)).isoformat()}").text
    )
    assert (
        "<td>patient.create</td>"
        in admin.get(f"/admin/audit?from={today.isoformat()}&to={today.isoformat()}").text
    )
    assert admin.get("/admin/audit?from=not-a-day").status_code == 422


def test_the_csv_export_follows_the_filter_and_defuses_formulas(app, client, make_user, session):
    build_world(session)
    _failed_login(client, '=HYPERLINK("http://evil.example","click")')
    admin = page_client(app, make_user, "admin")
    export = admin.get("/admin/audit.csv?action=login.failed")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["action"] for r in rows] == ["login.failed"]
    assert rows[0]["actor_name"] == '\'=hyperlink("http://evil.example","click")'
    everything = list(csv.DictReader(io.StringIO(admin.get("/admin/audit.csv").text)))
    ids = [int(r["id"]) for r in everything]
    assert ids == sorted(ids) and len(ids) >= 10  # oldest first, the whole trail
    assert all(len(r["hmac"]) == 64 for r in everything)
    exported = session.exec(select(AuditEvent).where(AuditEvent.action == "audit.export")).all()
    assert len(exported) == 2 and exported[0].changes["action"] == "login.failed"


def test_the_admin_api_reads_the_trail_and_that_read_is_recorded(client, api_as, session):
    admin = api_as("admin", "api.auditor")
    _failed_login(client, "someone")
    page = client.get("/api/v1/admin/audit?action=login.failed&limit=5", headers=admin).json()
    assert page["total"] == 1 and page["items"][0]["actor_name"] == "someone"
    assert session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first().action == (
        "audit.read"
    )


# Every GET route is one or the other: a read of one patient's record, audited as
# patient.view naming the patient; or not such a read, for the reason given. A new GET route
# that is neither fails test_every_get_route_is_classified_for_the_audit_trail.
PATIENT_RECORD_READS = {
    # By their path (checked by test_every_read_of_a_patients_record_is_audited)...
    "/api/v1/infusions/{infusion_id}",
    "/api/v1/patients/{patient_id}",
    "/api/v1/patients/{patient_id}/assessments",
    "/api/v1/patients/{patient_id}/fhir",
    "/api/v1/patients/{patient_id}/infusions",
    "/api/v1/patients/{patient_id}/regimens",
    "/api/v1/patients/{patient_id}/reviews",
    "/api/v1/patients/{patient_id}/schedule",
    "/api/v1/patients/{patient_id}/other-treatments",
    "/api/v1/patients/{patient_id}/weights",
    "/log/{infusion_id}",
    "/patients/{patient_id}",
    "/patients/{patient_id}/book",
    "/patients/{patient_id}/calendar",
    "/patients/{patient_id}/diary",
    "/patients/{patient_id}/self-course",
    "/patients/{patient_id}/edit",
    "/patients/{patient_id}/regimens/new",
    "/patients/{patient_id}/other-treatments",
    "/patients/{patient_id}/review-report",
    "/patients/{patient_id}/authorizations",
    "/patients/{patient_id}/authorizations/{authorization_id}/packet",
    "/patients/{patient_id}/summary",
    "/patients/{patient_id}/history/courses",
    "/patients/{patient_id}/history/scores",
    "/patients/{patient_id}/history/weights",
    "/patients/{patient_id}/history/reviews",
    "/api/v1/patients/{patient_id}/diagnosis",
    "/patients/{patient_id}/diagnosis/new",
    "/api/v1/patients/{patient_id}/authorizations",
    # ... and by what they are asked for (test_feeds_and_recalls_are_audited_as_reads).
    "/calendar/patient/{token}.ics",
    "/calendar/chair/{token}.ics",
    "/calendar/nurse/{token}.ics",
    "/diary/{token}",  # the first name, read as the diary link (tests/web/test_diary.py)
    "/recall",
    "/recall.csv",
    "/api/v1/recall",
}
NOT_A_PATIENT_RECORD = {
    "/": "the worklist: names, due days and flags to pick a patient from",
    "/patients": "the patient search: names and MRNs to pick a patient from",
    "/api/v1/patients": "the same search for other systems",
    "/api/v1/worklist": "the worklist for other systems",
    "/log": "today's chairs: who is booked where, for the nurses",
    "/nurses/week": "a nurse's home visits: who is visited where, as /log for the chairs",
    "/outbox": "e-mail delivery status; retrying one is audited",
    "/patients/new": "an empty form",
    "/import": "an empty form; each imported file and patient is audited",
    "/import/progress/{run_id}": "row counts of the user's own running import",
    "/export/caseload.zip": "the whole caseload: audited as export.csv",
    "/admin/audit": "the trail itself (admins)",
    "/admin/audit.csv": "the trail itself: audited as audit.export",
    "/api/v1/admin/audit": "the trail itself: audited as audit.read",
    "/admin/users": "staff accounts",
    "/admin/tokens": "staff tokens",
    "/api/v1/admin/users": "staff accounts",
    "/api/v1/admin/tokens": "staff tokens",
    "/chairs/calendars": "chairs and their feeds",
    "/api/v1/chairs": "chairs",
    "/admin/chairs": "chairs, opening hours and closure days",
    "/admin/products": "products and their GTINs; setting one is audited",
    "/api/v1/opening-hours": "the suite's weekly hours",
    "/api/v1/closures": "closure days",
    "/api/v1/policy": "the site policy",
    "/account/password": "one's own password form",
    "/login": "public",
    "/healthz": "public",
    "/docs": "API docs",
    "/openapi.json": "API schema",
}


def test_every_get_route_is_classified_for_the_audit_trail(app):
    gets = {path for method, path in route_keys(app) if method == "GET"}
    assert PATIENT_RECORD_READS.isdisjoint(NOT_A_PATIENT_RECORD)
    assert sorted(gets - PATIENT_RECORD_READS - NOT_A_PATIENT_RECORD.keys()) == [], (
        "a new GET route: add it to PATIENT_RECORD_READS (and audit it) or say why not"
    )
    assert sorted((PATIENT_RECORD_READS | NOT_A_PATIENT_RECORD.keys()) - gets) == []
    by_path = {p for p in gets if "{patient_id}" in p or "{infusion_id}" in p}
    assert by_path <= PATIENT_RECORD_READS
    # Each writes its audit entry: on SQLite it must begin IMMEDIATE (web/deps.py).
    undeclared = [
        route.path
        for route in iter_routes(app)
        if "GET" in route.methods and route.path in PATIENT_RECORD_READS
        if not getattr(route.endpoint, "writes_on_get", False)
    ]
    assert undeclared == [], "an audited read writes: declare it @writes_on_get"


def test_feeds_and_recalls_are_audited_as_reads(app, client, make_user, api_as, session):
    from tracker.schemas.treatment import InfusionCreate
    from tracker.services import calendar_feeds, infusions
    from tracker.services.actors import SYSTEM
    from tracker.store.models import Chair

    world = build_world(session)
    patient_token, patient_feed = calendar_feeds.issue_feed(
        session, actor=SYSTEM, kind="patient", subject_id=world.patient_id
    )
    chair = session.exec(select(Chair).where(Chair.active).order_by(Chair.id)).first()
    infusions.book_infusion(
        session,
        actor=SYSTEM,
        patient_id=world.patient_id,
        today=TODAY,
        data=InfusionCreate(
            scheduled_on=weekday_on_or_after(TODAY + timedelta(days=1)),
            start_time=time(9, 0),
            chair=chair.code,
        ),
    )
    chair_id = chair.id
    chair_token, chair_feed = calendar_feeds.issue_feed(
        session, actor=SYSTEM, kind="chair", subject_id=chair_id
    )
    session.commit()

    def entries_after(last, **where):
        query = select(AuditEvent).where(AuditEvent.id > last)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return session.exec(query).all()

    last = session.exec(select(func.max(AuditEvent.id))).one()
    assert client.get(f"/calendar/patient/{patient_token}.ics").status_code == 200
    (view,) = entries_after(last, action="patient.view")
    assert view.patient_id == world.patient_id and view.actor_id is None
    assert view.actor_name == f"calendar-feed:{patient_feed.id}"
    assert view.ip_address == "testclient" and view.changes["viewed"].startswith("calendar")
    last = session.exec(select(func.max(AuditEvent.id))).one()
    assert client.get(f"/calendar/chair/{chair_token}.ics").status_code == 200
    (read,) = entries_after(last, action="calendar_feed.read")
    assert read.actor_name == f"calendar-feed:{chair_feed.id}"
    assert world.patient_id in read.changes["patient_ids"]
    # An unknown address reads nothing and records nothing.
    last = session.exec(select(func.max(AuditEvent.id))).one()
    assert client.get("/calendar/patient/" + "x" * 43 + ".ics").status_code == 404
    assert entries_after(last) == []

    pharmacist = page_client(app, make_user, "pharmacist", "rex.recall")
    bearer = api_as("pharmacist", "rex.api")
    for url, headers, who in (
        ("/recall?lot=P1", {}, "rex.recall"),
        ("/recall.csv?lot=P1", {}, "rex.recall"),
        ("/api/v1/recall?lot=P1", bearer, "rex.api"),
    ):
        last = session.exec(select(func.max(AuditEvent.id))).one()
        answer = pharmacist.get(url, headers=headers)
        assert answer.status_code == 200 and "SEC-1" in answer.text, url
        (view,) = entries_after(last, action="patient.view")
        assert view.patient_id == world.patient_id and view.actor_name == who, url
        assert "P1" in view.changes["viewed"]
        (lookup,) = entries_after(last, action="recall.lookup")
        assert lookup.changes["patient_ids"] == [world.patient_id]
