"""Every route against the role matrix: each role, and nobody, gets what the matrix says."""

from fastapi.testclient import TestClient

from tests.builders.pages import page_client
from tests.security.role_matrix import ROLE_MATRIX
from tests.security.routes import RANK, STAFF_ROLES, WRITE_METHODS, fill, is_api, route_keys
from tracker.web.routes_index import unchecked_routes


def _unruled(app) -> list[str]:
    return sorted({f"{method} {path}" for method, path in route_keys(app)} - ROLE_MATRIX.keys())


def test_every_route_has_a_rule_and_every_rule_a_route(app):
    routes = {f"{method} {path}" for method, path in route_keys(app)}
    assert _unruled(app) == [], "routes with no rule in role_matrix.py"
    assert sorted(ROLE_MATRIX.keys() - routes) == [], "rules for routes that no longer exist"
    assert set(ROLE_MATRIX.values()) <= {"public", "login", *STAFF_ROLES}
    # Pages and API alike, the feeds, the docs and the interoperability routes among them.
    for key in (
        "GET /calendar/patient/{token}.ics",
        "GET /calendar/chair/{token}.ics",
        "GET /docs",
        "GET /openapi.json",
        "POST /import",
        "GET /recall",
        "GET /patients/{patient_id}/review-report",
        "GET /admin/audit.csv",
        "GET /api/v1/patients/{patient_id}/fhir",
        "GET /healthz",
    ):
        assert key in routes, key
    # Nothing answers outside the walkers' sight: no bare Starlette route, no websocket, no
    # mount but the static files.
    assert unchecked_routes(app) == []


def test_a_new_route_without_a_rule_fails_the_suite(app):
    from fastapi import APIRouter, FastAPI

    extra = APIRouter()

    @extra.get("/patients/{patient_id}/new-thing")
    def new_thing(patient_id: int):
        return {}

    app.include_router(extra, prefix="/api/v1")
    assert _unruled(app) == ["GET /api/v1/patients/{patient_id}/new-thing"]
    bare = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    bare.add_route("/raw", lambda request: None)
    bare.router.add_websocket_route("/ws", lambda websocket: None)
    assert unchecked_routes(bare) == ["Route /raw", "WebSocketRoute /ws"]


def _allowed(rule: str, role: str | None) -> bool:
    if role is None:
        return False
    return rule == "login" or RANK[role] >= RANK[rule]


def _call(client: TestClient, method: str, path: str, *, token: str | None, csrf: str | None):
    url = fill(path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method in WRITE_METHODS and is_api(path):
        return client.request(method, url, json={}, headers=headers, follow_redirects=False)
    if method in WRITE_METHODS:
        return client.request(
            method, url, data={"csrf_token": csrf} if csrf else {}, follow_redirects=False
        )
    return client.request(method, url, headers=headers, follow_redirects=False)


def test_each_role_gets_what_the_matrix_says(app, client, make_user, api_as):
    pages = {role: page_client(app, make_user, role) for role in STAFF_ROLES}
    tokens = {role: api_as(role, f"{role}.api")["Authorization"].split()[1] for role in STAFF_ROLES}
    nobody = TestClient(app, base_url="http://testserver")
    # Logging out last: it ends the session the other requests use.
    keys = sorted(route_keys(app), key=lambda k: k == ("POST", "/logout"))
    checked = 0
    for method, path in keys:
        rule = ROLE_MATRIX[f"{method} {path}"]
        for role in (None, *STAFF_ROLES):
            if role is None:
                answer = _call(nobody, method, path, token=None, csrf=None)
            elif is_api(path):
                answer = _call(nobody, method, path, token=tokens[role], csrf=None)
            else:
                answer = _call(pages[role], method, path, token=None, csrf=pages[role].csrf)
            where = (method, path, role, answer.status_code)
            assert answer.status_code < 500, where
            sent_to_login = answer.status_code == 303 and answer.headers["location"].startswith(
                "/login?next="
            )
            if rule == "public":
                # No login asked for (POST /login may still refuse a form without its token).
                assert answer.status_code != 401 and not sent_to_login, where
            elif _allowed(rule, role):
                assert answer.status_code not in (401, 403) and not sent_to_login, where
            elif role is None:
                if is_api(path) or path in ("/openapi.json", "/docs"):
                    assert answer.status_code == 401, where
                    if path != "/docs":  # an HTML page; the JSON answers name the scheme
                        assert answer.headers["www-authenticate"] == "Bearer", where
                else:
                    assert sent_to_login, where
            else:
                assert answer.status_code == 403, where
                if is_api(path):
                    assert "role" in answer.json()["detail"], where
            checked += 1
    assert checked == 5 * len(ROLE_MATRIX)


def test_a_nurse_records_a_given_course_but_cannot_book_one(client, api_as):
    pharmacist = api_as("pharmacist", "pam.api")
    nurse = api_as("nurse", "nina.api")
    patient = client.post(
        "/api/v1/patients",
        headers=pharmacist,
        json={
            "mrn": "ROLE-1",
            "given_name": "Rob",
            "family_name": "Role",
            "birth_date": "1970-01-01",
            "sex": "male",
        },
    ).json()["id"]
    booking = {"scheduled_on": "2026-03-02"}
    assert (
        client.post(
            f"/api/v1/patients/{patient}/infusions", headers=nurse, json=booking
        ).status_code
        == 403
    )
    given = client.post(
        f"/api/v1/patients/{patient}/infusions",
        headers=nurse,
        json={
            "scheduled_on": "2026-02-01",
            "status": "given",
            "dose_g": 40,
            "lots": [{"lot_number": "N1", "vials": 1, "size_g": 40}],
        },
    )
    assert given.status_code == 201 and given.json()["status"] == "given"
