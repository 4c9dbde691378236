"""The OpenAPI document describes every answer the server gives (web/openapi_answers.py), and
every 405 names every method of its path."""

from fastapi import APIRouter
from fastapi.testclient import TestClient

from tests.security.routes import fill, route_keys
from tracker.web.deps import ApiPharmacist, IdPath
from tracker.web.openapi_answers import NO_NUL, NOT_BLANK, also_answers

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_operation_documents_its_refusals_in_the_app_s_own_shapes(app):
    document = app.openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's 422 shape, which the app reshapes
    for method, path, operation in _operations(document):
        answers = operation["responses"]
        label = f"{method} {path}"
        assert "422" in answers, label  # a NUL character in a query is refused everywhere
        if operation.get("security"):
            assert answers["401"]["headers"]["WWW-Authenticate"], label
        if any(p["in"] == "path" for p in operation.get("parameters", ())):
            assert "404" in answers, label
        if "requestBody" in operation:
            assert {"400", "413"} <= answers.keys(), label
        for code, answer in answers.items():
            assert answer["headers"]["Cache-Control"] == {"$ref": "#/components/headers/NoStore"}
            if int(code) >= 400 and path != "/healthz":
                (body,) = answer["content"].values()
                assert body["schema"]["$ref"].rsplit("/", 1)[1] in {
                    "Message",
                    "Refusal",
                    "ValidationErrors",
                }, (label, code)
    login = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert login["429"]["headers"]["Retry-After"] and "401" in login
    fhir = document["paths"]["/api/v1/patients/{patient_id}/fhir"]["get"]["responses"]["200"]
    assert list(fhir["content"]) == ["application/fhir+json"]
    recall = document["paths"]["/api/v1/recall"]["get"]["responses"]["200"]
    assert sorted(recall["content"]) == ["application/json", "text/csv"]


def test_each_documented_401_and_403_is_what_the_server_answers(app, client, api_as):
    # Every operation that needs a token says 401 and answers it without one; every one
    # behind a role gate says 403 and answers it to a viewer; the others say neither.
    viewer = api_as("viewer", "truth.viewer")
    for method, path, operation in _operations(app.openapi()):
        answers = operation["responses"]
        body = {} if "requestBody" in operation else None
        url = fill(path)
        nobody = client.request(method, url, json=body)
        assert (nobody.status_code == 401) == ("401" in answers and path != "/api/v1/auth/token")
        if not operation.get("security"):
            continue
        as_viewer = client.request(method, url, json=body, headers=viewer)
        assert (as_viewer.status_code == 403) == ("403" in answers), (method, path, as_viewer)


def test_the_answers_are_described_on_new_routes_too(app):
    # Whoever adds a route (authorisations, say) writes nothing for its 401, 403, 404 and 422.
    extra = APIRouter(prefix="/api/v1")

    @extra.post("/patients/{patient_id}/things", status_code=201, responses=also_answers(409))
    def add_thing(user: ApiPharmacist, patient_id: IdPath, body: dict) -> dict:
        return {}

    app.include_router(extra)
    operation = app.openapi()["paths"]["/api/v1/patients/{patient_id}/things"]["post"]
    assert sorted(operation["responses"]) == [
        "201", "400", "401", "403", "404", "409", "413", "422"
    ]  # fmt: skip


def test_text_is_declared_without_nul_and_not_blank_where_required(app):
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["InfusionCancel"]["properties"]["reason"]["pattern"] == NOT_BLANK
    assert schemas["InfusionCreate"]["properties"]["notes"]["anyOf"][0]["pattern"] == NO_NUL
    # A pattern of its own keeps NUL out already.
    assert schemas["PatientCreate"]["properties"]["mrn"]["pattern"].startswith("^[A-Za-z0-9]")


def test_every_405_names_every_method_of_its_path(app):
    # Starlette's own 405 names only the methods of the one route that answered; two routes
    # on one path (GET and PATCH /api/v1/patients/{id}) would each leave the other out.
    client = TestClient(app, base_url="http://testserver")
    checked = 0
    for path in sorted({path for _, path in route_keys(app)}):
        url = fill(path)
        answers = {m: client.request(m, url, follow_redirects=False) for m in METHODS}
        taken = {m for m, answer in answers.items() if answer.status_code != 405}
        for method, answer in answers.items():
            if answer.status_code == 405:
                allowed = {m.strip() for m in answer.headers["allow"].split(",")}
                assert allowed == taken, (method, path, answer.headers["allow"])
                checked += 1
    assert checked > 300
