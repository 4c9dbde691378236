"""Security headers on every answer, HSTS in production, and the cap on request bodies."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.builders.pages import page_client
from tracker.settings import Settings
from tracker.web.security import CONTENT_SECURITY_POLICY

CSP_MUST_SAY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def _assert_hardened(answer, *, cached: bool = False):
    csp = answer.headers["content-security-policy"]
    for directive in CSP_MUST_SAY:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"
    if not cached:
        assert answer.headers["cache-control"] == "no-store"


def test_every_kind_of_answer_carries_the_headers(app, make_user, api_as):
    nobody = TestClient(app, base_url="http://testserver")
    _assert_hardened(nobody.get("/login"))
    _assert_hardened(nobody.get("/healthz"))
    _assert_hardened(nobody.get("/", follow_redirects=False))  # the redirect to the login
    _assert_hardened(nobody.get("/api/v1/patients"))  # 401
    _assert_hardened(nobody.get("/static/app.css"), cached=True)
    assert "no-store" not in nobody.get("/static/app.css").headers.get("cache-control", "")
    viewer = page_client(app, make_user, "viewer")
    _assert_hardened(viewer.get("/patients"))
    _assert_hardened(viewer.get("/patients/999999"))  # 404 page
    _assert_hardened(viewer.get("/admin/users"))  # 403 page
    _assert_hardened(viewer.get("/docs"))
    _assert_hardened(viewer.get("/openapi.json"))
    bearer = api_as("viewer", "viewer.api")
    _assert_hardened(nobody.get("/api/v1/chairs", headers=bearer))
    _assert_hardened(nobody.get("/api/v1/worklist?limit=0", headers=bearer))  # 422
    assert "strict-transport-security" not in nobody.get("/login").headers  # not over TLS


def test_production_adds_hsts_and_secure_host_cookies(connection, make_user):
    from tests.builders.pages import log_in
    from tracker.web.app import create_app

    settings = Settings(env="production", secret_key="p" * 40)
    client = TestClient(create_app(settings, connection), base_url="https://tracker.example")
    login_page = client.get("/login")
    assert login_page.headers["strict-transport-security"].startswith("max-age=63072000")
    assert "secure" in login_page.headers["set-cookie"].lower()
    log_in(client, make_user, "nurse")
    cookie = client.cookies.jar
    session_cookie = next(c for c in cookie if c.name.startswith("__Host-"))
    assert session_cookie.name == "__Host-tracker_session"
    assert session_cookie.secure and session_cookie.path == "/"
    assert not session_cookie.domain_specified
    assert client.get("/patients").status_code == 200


def test_the_docs_page_is_our_own_page_with_no_script(app, make_user):
    viewer = page_client(app, make_user, "viewer")
    docs = viewer.get("/docs")
    assert "<script" not in docs.text and "swagger" not in docs.text.lower()
    assert '<link rel="stylesheet" href="/static/app.css">' in docs.text
    assert docs.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # Swagger UI's files are gone, not merely unused.
    assert viewer.get("/static/swagger-init.js").status_code == 404
    assert viewer.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 404


def test_a_body_over_the_limit_is_refused_with_413(connection, api_as, client):
    from tracker.web.app import create_app

    small = TestClient(
        create_app(Settings(env="test", max_body_bytes=10_000, secret_key="s" * 40), connection)
    )
    headers = api_as("pharmacist", "big.body")
    big = {
        "mrn": "BIG-1",
        "given_name": "x" * 20_000,
        "family_name": "Big",
        "birth_date": "1970-01-01",
        "sex": None,
    }
    declared = small.post("/api/v1/patients", json=big, headers=headers)
    assert declared.status_code == 413
    assert "larger than 10000 bytes" in declared.json()["detail"]
    _assert_hardened(declared)

    def chunks():  # no Content-Length: the size is only known by counting
        for _ in range(30):
            yield b"x" * 1000

    streamed = small.post(
        "/api/v1/patients", content=chunks(), headers=headers | {"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    page = small.post(
        "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert page.status_code == 413 and page.text.startswith("the request body")
    assert small.get("/healthz").status_code == 200  # a normal request still goes through
    fine = small.post("/api/v1/patients", headers=headers, json=big | {"given_name": "Ann"})
    assert fine.status_code == 201


def _patients_csv(rows: int) -> bytes:
    import csv
    import io

    from tracker.interop.csv.layout import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS["patients"])
    writer.writeheader()
    for n in range(rows):
        writer.writerow(
            {
                "mrn": f"BIG-{n}",
                "given_name": "Ann",
                "family_name": "Big" * 10,
                "birth_date": "1961-05-06",
                "sex": "female",
            }
        )
    return out.getvalue().encode()


def test_the_caseload_import_alone_takes_bodies_up_to_its_own_larger_cap(connection, make_user):
    # TRACKER_MAX_IMPORT_BYTES (50 MB by default) for POST /import; every other body keeps
    # TRACKER_MAX_BODY_BYTES (2 MB by default).
    from tests.builders.pages import csrf_of, log_in
    from tracker.web.app import create_app

    assert Settings().max_import_bytes >= 50_000_000 > 2_000_000 == Settings().max_body_bytes
    settings = Settings(
        env="test", max_body_bytes=10_000, max_import_bytes=300_000, secret_key="s" * 40
    )
    client = TestClient(create_app(settings, connection), base_url="http://testserver")
    log_in(client, make_user, "pharmacist", "big.importer")
    token = csrf_of(client.get("/import").text)
    fits = _patients_csv(800)  # some 70 kB: over the general cap, under the import's
    assert 10_000 < len(fits) < 300_000
    checked = client.post(
        "/import",
        data={"csrf_token": token, "action": "check"},
        files={"patients": ("patients.csv", fits, "text/csv")},
    )
    assert checked.status_code == 200, checked.text[:500]
    assert "800" in checked.text  # the dry run read every row
    big = _patients_csv(8000)
    assert len(big) > 300_000
    too_big = client.post(
        "/import",
        data={"csrf_token": token, "action": "check"},
        files={"patients": ("patients.csv", big, "text/csv")},
    )
    assert too_big.status_code == 413 and "larger than 300000 bytes" in too_big.text
    _assert_hardened(too_big)
    # The larger cap is for that one route: the same body anywhere else is refused.
    for path in ("/patients/new", "/admin/users", "/login"):
        other = client.post(path, data={"csrf_token": token, "padding": "x" * 70_000})
        assert other.status_code == 413, path


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/patients/2147483648",
        "/api/v1/infusions/99999999999999999999",
        "/api/v1/patients/1/schedule?on=9999-12-31",
        "/api/v1/worklist?on=0001-01-01",
        "/api/v1/admin/audit?patient_id=2147483648",
        "/api/v1/patients?limit=100000",
    ],
)
def test_numbers_and_dates_out_of_range_are_refused_not_sent_to_the_database(client, api_as, url):
    answer = client.get(url, headers=api_as("admin", "range.admin"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][0] in ("path", "query")


@pytest.mark.parametrize(
    "url",
    [
        "/patients/2147483648",
        "/log/2147483648",
        "/?on=9999-12-31",
        "/log?on=0001-01-01",
        "/patients/1/book?start=9999-12-31",
    ],
)
def test_pages_refuse_out_of_range_ids_and_days(app, make_user, url):
    admin = page_client(app, make_user, "admin")
    assert admin.get(url).status_code == 422


# Inputs whose bounds are checked elsewhere, and where.
UNBOUNDED_BY_DESIGN = {
    # OAuth2's standard form: the body cap bounds it; passwords over 256 are refused unread.
    "POST /api/v1/auth/token body",
    # Any policy key: the rules validate each value's range (tracker/rules/policy.py).
    "PUT /api/v1/policy body",
    # The range depends on the measure: the rules check it (tracker/rules/measures.py).
    "POST /api/v1/patients/{patient_id}/assessments body.value",
}


def _unbounded(schema: dict, where: str, components: dict) -> list[str]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if any(where.startswith(exempt) for exempt in UNBOUNDED_BY_DESIGN):
        return []
    found = [
        problem
        for key in ("anyOf", "oneOf", "allOf")
        for sub in schema.get(key, [])
        for problem in _unbounded(sub, where, components)
    ]
    kind = schema.get("type")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            found += _unbounded(sub, f"{where}.{name}", components)
        if schema.get("additionalProperties") not in (None, False):
            found.append(f"{where}: any keys")
    elif kind == "array":
        found += [] if "maxItems" in schema else [f"{where}: no maxItems"]
        found += _unbounded(schema.get("items", {}), f"{where}[]", components)
    elif (
        kind == "string"
        and not ({"maxLength", "enum", "const"} & schema.keys())
        and (schema.get("format") not in ("date", "date-time", "time", "email"))
    ):
        found.append(f"{where}: no maxLength")
    elif kind in ("integer", "number") and not (
        {"maximum", "exclusiveMaximum"} & schema.keys()
        and {"minimum", "exclusiveMinimum"} & schema.keys()
    ):
        found.append(f"{where}: no range")
    return found


def test_every_api_input_has_bounds_on_text_numbers_and_lists(client, api_as):
    schema = client.get("/openapi.json", headers=api_as("viewer", "schema.reader")).json()
    components = schema["components"]["schemas"]
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                problems += _unbounded(
                    parameter["schema"],
                    f"{label} {parameter['in']}:{parameter['name']}",
                    components,
                )
            for content in operation.get("requestBody", {}).get("content", {}).values():
                problems += _unbounded(content["schema"], f"{label} body", components)
    assert problems == []


# Page parameters checked elsewhere, and where.
PAGE_PARAMETERS_BOUNDED_ELSEWHERE = {
    # Matched against ^[A-Za-z0-9_-]{40,64}$ before any query; a bare 404 either way, so
    # that an address cannot be probed (tracker/services/calendar_feeds.py).
    "GET /calendar/patient/{token}.ics path:token",
    "GET /calendar/chair/{token}.ics path:token",
    "GET /calendar/nurse/{token}.ics path:token",
    # The same shape check for a diary link (tracker/services/diary.py): 404, or 429 once an
    # address has guessed too often.
    "GET /diary/{token} path:token",
    "POST /diary/{token} path:token",
    "POST /diary/{token}/course path:token",
}


def _parameters(dependant):
    # Form fields declared with Form() are body parameters (POST /login's).
    yield from dependant.path_params + dependant.query_params + dependant.body_params
    for sub in dependant.dependencies:
        yield from _parameters(sub)


def test_every_page_parameter_has_bounds(app):
    # The OpenAPI test above sees the API; the pages are not in the schema, so their path,
    # query and form parameters are read from the routes themselves. Form bodies parsed
    # by hand go through the shared schemas (tracker/web/forms.py parse()).
    import datetime
    import typing

    from tracker.schemas.common import Day
    from tracker.web.routes_index import iter_routes

    problems, checked = [], 0
    for route in iter_routes(app):
        if route.include_in_schema:
            continue
        for method in route.methods - {"HEAD"}:
            for field in _parameters(route.dependant):
                kind = (
                    "path"
                    if field in route.dependant.path_params
                    else "form"
                    if field in route.dependant.body_params
                    else "query"
                )
                where = f"{method} {route.path} {kind}:{field.name}"
                if where in PAGE_PARAMETERS_BOUNDED_ELSEWHERE:
                    continue
                checked += 1
                hint = field.field_info.annotation
                bare = {a for a in typing.get_args(hint) if a is not type(None)} or {hint}
                limits = {type(m).__name__ for m in field.field_info.metadata}
                if bare <= {bool} or typing.get_origin(hint) is typing.Literal:
                    continue
                if bare <= {str}:
                    if "MaxLen" not in limits:
                        problems.append(f"{where}: no max_length")
                elif bare <= {int, float}:
                    if not ({"Le", "Lt"} & limits and {"Ge", "Gt"} & limits):
                        problems.append(f"{where}: no range")
                elif any(a is datetime.date for a in bare) or "date" in repr(hint):
                    if repr(Day) not in repr(hint) and Day not in bare:
                        problems.append(f"{where}: a date that is not a Day")
                else:
                    problems.append(f"{where}: {hint!r} unchecked")
    assert problems == []
    assert checked >= 40


@pytest.mark.parametrize(
    "url",
    [
        "/patients/{pid}/review-report?end=0001-01-01",
        "/patients/{pid}/review-report?end=9999-12-31",
        "/patients/{pid}/review-report?months=99999999999999999999",
        "/import/progress/" + "x" * 65,
    ],
)
def test_pages_refuse_out_of_range_parameters(app, make_user, session, url):
    from tests.builders.records import build_world

    world = build_world(session)
    admin = page_client(app, make_user, "admin")
    assert admin.get(url.format(pid=world.patient_id)).status_code == 422


def test_out_of_range_ids_in_page_forms_are_refused(app, make_user):
    admin = page_client(app, make_user, "admin")
    answer = admin.post("/outbox/2147483648/retry", data={"csrf_token": admin.csrf})
    assert answer.status_code == 422


def test_page_texts_over_their_length_are_refused_not_cut_short(app, make_user, session):
    from tests.builders.records import build_world
    from tracker.store.models import Infusion

    world = build_world(session)
    admin = page_client(app, make_user, "admin")
    long_reason = {"csrf_token": admin.csrf, "reason": "x" * 501}
    cancel = admin.post(f"/infusions/{world.infusion_id}/cancel", data=long_reason)
    assert cancel.status_code == 422 and "500 characters" in cancel.text
    session.expire_all()
    assert session.get(Infusion, world.infusion_id).status == "booked"
    dismiss = admin.post(f"/patients/{world.patient_id}/recommendation/dismiss", data=long_reason)
    assert dismiss.status_code == 422  # (this patient has no recommendation to show it on)


def test_a_login_redirect_target_too_long_to_post_back_goes_to_the_start_page(client):
    page = client.get("/login?next=/patients/" + "1" * 600)
    assert page.status_code == 200 and 'name="next" value="/"' in page.text
    assert client.get("/login?next=/" + "a" * 5000).status_code == 422


def test_every_input_day_is_a_plausible_day():
    # Dates have no range in the OpenAPI schema: every input model uses schemas.common.Day.
    import datetime
    import typing

    import tracker.schemas.other_treatments  # noqa: F401
    import tracker.schemas.patients  # noqa: F401 (the models register as Input subclasses)
    import tracker.schemas.scores  # noqa: F401
    import tracker.schemas.staff  # noqa: F401
    import tracker.schemas.treatment  # noqa: F401
    from tracker.schemas.common import Day, Input

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    checked = 0
    for model in subclasses(Input):
        for name, field in model.model_fields.items():
            hint = typing.get_type_hints(model, include_extras=True)[name]
            text = repr(hint)
            if "datetime.date" in text and "datetime.datetime" not in text:
                assert repr(Day) in text or hint == Day, f"{model.__name__}.{name}"
                checked += 1
            assert not isinstance(field.default, datetime.date)
    assert checked >= 8


def test_a_nul_character_in_any_text_is_refused_before_the_database_sees_it(
    client, api_as, make_user
):
    # PostgreSQL refuses NUL in text columns: unchecked, each of these was a 500 there.
    headers = api_as("pharmacist", "nul.checker")
    patient = {
        "mrn": "NUL-1",
        "given_name": "A\x00b",
        "family_name": "Nul",
        "birth_date": "1970-01-01",
        "sex": None,
    }
    body = client.post("/api/v1/patients", headers=headers, json=patient)
    assert body.status_code == 422
    assert body.json()["detail"][0]["msg"] == "text must not contain NUL characters"
    assert client.get("/api/v1/patients?q=a%00b", headers=headers).status_code == 422
    login = client.post("/api/v1/auth/token", data={"username": "x\x00", "password": "y"})
    assert login.status_code == 422
    assert client.get("/login?next=/%00").status_code == 422
    fine = client.post("/api/v1/patients", headers=headers, json=patient | {"given_name": "Ab"})
    assert fine.status_code == 201


def test_a_nul_character_is_refused_whatever_json_type_or_form_encoding_carries_it(
    app, client, api_as, make_user
):
    # FastAPI reads any application/...+json body as JSON, and a page form may come as
    # multipart: each carried a NUL past the raw body's check into the database.
    headers = api_as("pharmacist", "nul.types")
    patient = {
        "mrn": "NUL-2",
        "given_name": "A\x00b",
        "family_name": "Nul",
        "birth_date": "1970-01-01",
        "sex": None,
    }
    for kind in ("application/merge-patch+json", "application/json; charset=utf-8"):
        made = client.post(
            "/api/v1/patients",
            headers=headers | {"content-type": kind},
            content=json.dumps(patient).encode(),
        )
        assert made.status_code == 422, kind
        assert made.json()["detail"][0]["msg"] == "text must not contain NUL characters"
    pages = page_client(app, make_user, "pharmacist", "nul.forms")
    fields = {
        "csrf_token": pages.csrf,
        "mrn": "NUL-3",
        "given_name": "A\x00b",
        "family_name": "Nul",
        "birth_date": "1970-01-01",
        "sex": "",
    }
    page = pages.post("/patients/new", files={k: (None, v) for k, v in fields.items()})
    assert page.status_code == 422 and "given_name" in page.text
    fields["given_name"] = "Ab"
    page = pages.post(
        "/patients/new", files={k: (None, v) for k, v in fields.items()}, follow_redirects=False
    )
    assert page.status_code == 303, page.text


def test_what_schemathesis_found_is_a_422_now(client, api_as):
    # Each of these answered 500 before (see docs/security.md).
    headers = api_as("admin", "found.admin")
    made = client.post(
        "/api/v1/patients",
        headers=headers,
        json={
            "mrn": "FOUND-1",
            "given_name": "F",
            "family_name": "Ound",
            "birth_date": "1970-01-01",
            "sex": None,
            "min_interval_days": 100,
        },
    )  # above the site's longest interval, 42
    assert made.status_code == 422 and made.json()["detail"][0]["loc"] == [
        "body",
        "min_interval_days",
    ]
    made = client.post(
        "/api/v1/patients",
        headers=headers,
        json={
            "mrn": "FOUND-1",
            "given_name": "F",
            "family_name": "Ound",
            "birth_date": "1970-01-01",
            "sex": None,
            "min_interval_days": 40,
        },
    )
    assert made.status_code == 201
    pid = made.json()["id"]
    assert (
        client.patch(
            f"/api/v1/patients/{pid}", headers=headers, json={"reminder_consent": None}
        ).status_code
        == 422
    )
    # The site's longest interval may not drop below a patient's own shortest one.
    policy = client.put("/api/v1/policy", headers=headers, json={"max_interval_days": 35})
    assert policy.status_code == 422 and "FOUND-1" in policy.json()["detail"][0]["msg"]
    odd_key = client.put("/api/v1/policy", headers=headers, json={"": 1})
    assert odd_key.status_code == 422 and odd_key.json()["detail"][0]["loc"] == ["body"]
    # With every check on (issue 17.7): a yes/no or text where a number belongs was read as
    # a number (false as 0 nerves), a time with seconds or a zone was taken for HH:MM.
    for count in (False, "2"):
        diagnosis = client.post(
            f"/api/v1/patients/{pid}/diagnosis",
            headers=headers,
            json={"assessed_on": "2026-01-05", "probable_block_segments": count},
        )
        assert diagnosis.status_code == 422
        assert diagnosis.json()["detail"][0]["loc"] == ["body", "probable_block_segments"]
    for clock in ("00:00:00Z", "09:00:00"):
        booking = client.post(
            f"/api/v1/patients/{pid}/infusions",
            headers=headers,
            json={"scheduled_on": "2200-01-06", "start_time": clock},
        )
        assert booking.status_code == 422
        assert booking.json()["detail"][0]["loc"] == ["body", "start_time"]


def test_the_server_does_not_name_itself(live_server):
    import httpx

    answer = httpx.get(f"{live_server}/login")
    assert answer.status_code == 200
    assert "server" not in answer.headers, answer.headers.get("server")


def test_tracker_serve_and_gunicorn_workers_send_no_server_banner():
    import runpy
    from pathlib import Path

    from tracker.web.serving import UVICORN_OPTIONS, UvicornWorker

    assert UVICORN_OPTIONS["server_header"] is False
    assert UvicornWorker.CONFIG_KWARGS["server_header"] is False
    config = runpy.run_path(str(Path(__file__).parents[2] / "deploy" / "gunicorn.conf.py"))
    assert config["worker_class"] == "tracker.web.serving.UvicornWorker"
