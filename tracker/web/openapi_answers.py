"""The OpenAPI document describes every answer the server gives, not only the happy one.

FastAPI documents each operation's success answer and its own shape of 422. The server also
answers, and this module writes into the document, once for every operation (new routes
included, with nothing to write on them):

- 401 on every operation that needs a bearer token (no, a wrong, an expired or a revoked
  token; the account disabled), with `WWW-Authenticate: Bearer`;
- 403 on every operation behind a role gate above viewer (`deps.ApiNurse`, ...);
- 404 on every operation whose path names a row;
- 400 (a body that is not UTF-8 text) and 413 (a body over `TRACKER_MAX_BODY_BYTES`) on
  every operation that takes a body;
- 422 on every operation, in the app's own shape (`web/app.py`: `loc`, `msg` and `type`,
  never the input echoed): a NUL character in a path or query is refused everywhere;
- `Cache-Control: no-store` on every answer (`web/security.py`);
- no NUL character in any text an operation takes (`web/security.RefuseNulCharacters`), and
  text that must not be empty is not only spaces (the server trims text): every string of a
  parameter or body without a pattern of its own gets one saying so.

What the route alone knows, it says with `responses=also_answers(...)`: 409 for a clash with
what is stored, 404 for a row named in the body, 401 and 429 for the login. Error bodies are
`{"detail": "..."}` (`Message`), with 404 and 409 possibly naming the field
(`{"detail": {"msg", "field"}}`, `Refusal`), and 422 a list of errors (`ValidationErrors`).
"""

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from tracker.web.routes_index import iter_routes

_SCHEMAS = "#/components/schemas/"
_HEADERS = "#/components/headers/"

DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be read: it is not UTF-8 text.",
    401: "No bearer token, or one that is wrong, expired or revoked, or the account is disabled.",
    403: "The account's role may not do this.",
    404: "The row named (in the path, or by an id in the body) does not exist.",
    409: "The change clashes with what is stored; `field` names the field when one is to blame.",
    413: "The body is larger than the server takes.",
    422: 'Invalid input: each error names where (`loc`, e.g. `["body", "field"]`) and why.',
    429: "Too many failed logins for this account or address: try again after `Retry-After` "
    "seconds.",
    503: "The database does not answer.",
}

# Error bodies; 404 and 409 may name the field to blame.
COMPONENT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Message": {
        "title": "Message",
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "additionalProperties": False,
    },
    "Refusal": {
        "title": "Refusal",
        "type": "object",
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {"msg": {"type": "string"}, "field": {"type": "string"}},
                        "required": ["msg", "field"],
                        "additionalProperties": False,
                    },
                ]
            }
        },
        "required": ["detail"],
        "additionalProperties": False,
    },
    "ValidationErrors": {
        "title": "ValidationErrors",
        "type": "object",
        "properties": {
            "detail": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "loc": {
                            "type": "array",
                            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                        },
                        "msg": {"type": "string"},
                        "type": {"type": "string"},
                    },
                    "required": ["loc", "msg", "type"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["detail"],
        "additionalProperties": False,
    },
}
_BODY_OF = {404: "Refusal", 409: "Refusal", 422: "ValidationErrors"}

COMPONENT_HEADERS: dict[str, dict[str, Any]] = {
    "NoStore": {
        "description": "Health information is never kept by browsers or proxies.",
        "required": True,
        "schema": {"type": "string", "const": "no-store"},
    },
    "WWWAuthenticate": {
        "description": "How to authenticate: a bearer token.",
        "required": True,
        "schema": {"type": "string", "const": "Bearer"},
    },
    "RetryAfter": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
}
_HEADERS_OF = {401: {"WWW-Authenticate": "WWWAuthenticate"}, 429: {"Retry-After": "RetryAfter"}}

# FastAPI's own 422 body, replaced by ValidationErrors (the app reshapes its errors).
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")


def also_answers(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for answers only the route knows it gives (409, a 404 for an id in the
    body, 401 and 429 at the login); their bodies and headers are filled in here."""
    unknown = set(codes) - DESCRIPTIONS.keys()
    if unknown:
        raise ValueError(f"no description of the answers {sorted(unknown)}")
    return {code: {"description": DESCRIPTIONS[code]} for code in codes}


class TrackerAPI(FastAPI):
    """FastAPI whose OpenAPI document describes every answer (see the module's docstring).

    The document is built on first use (about 0.2 s, which most apps made by the tests never
    need), by whichever reads it: `app.openapi()` or `app.openapi_schema`, and again when
    routes were added since.
    """

    _document: dict[str, Any] | None = None
    _described_routes: int = 0

    @property
    def openapi_schema(self) -> dict[str, Any] | None:
        return self.openapi()

    @openapi_schema.setter
    def openapi_schema(self, value: dict[str, Any] | None) -> None:
        self._document = value

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, every answer of every operation described."""
        routes = list(iter_routes(self))
        if self._document is None or self._described_routes != len(routes):
            document = get_openapi(
                title=self.title,
                version=self.version,
                openapi_version=self.openapi_version,
                description=self.description,
                routes=self.routes,
            )
            self._document = describe_every_answer(document, routes)
            self._described_routes = len(routes)
        return self._document


def describe_every_answer(document: dict[str, Any], routes: Iterable[APIRoute]) -> dict[str, Any]:
    """Add to `document` the answers each route's gates, path and body lead to (in place)."""
    for route in routes:
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            _complete(operation, needs_role=_gated_by_role(route.dependant))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_422:
        schemas.pop(name, None)
    _refuse_nul_in_inputs(document)
    schemas.update(COMPONENT_SCHEMAS)
    components.setdefault("headers", {}).update(COMPONENT_HEADERS)
    return document


def _complete(operation: dict[str, Any], *, needs_role: bool) -> None:
    answers = operation.setdefault("responses", {})
    codes = {422}
    if operation.get("security"):
        codes.add(401)
    if needs_role:
        codes.add(403)
    if any(p.get("in") == "path" for p in operation.get("parameters", ())):
        codes.add(404)
    if "requestBody" in operation:
        codes |= {400, 413}
    for code in codes:
        answers.setdefault(str(code), {"description": DESCRIPTIONS[code]})
    for key, answer in answers.items():
        code = int(key)
        if code >= 400 and (code == 422 or not _has_a_body(answer)):
            body = _BODY_OF.get(code, "Message")
            answer["content"] = {"application/json": {"schema": {"$ref": _SCHEMAS + body}}}
            answer["description"] = DESCRIPTIONS.get(code, answer.get("description", ""))
        headers = answer.setdefault("headers", {})
        headers["Cache-Control"] = {"$ref": _HEADERS + "NoStore"}
        for name, component in _HEADERS_OF.get(code, {}).items():
            headers[name] = {"$ref": _HEADERS + component}
    operation["responses"] = dict(sorted(answers.items()))


def _refuse_nul_in_inputs(document: dict[str, Any]) -> None:
    components = document.get("components", {}).get("schemas", {})
    seen: set[int] = set()

    def visit(schema: Any) -> None:
        if not isinstance(schema, dict) or id(schema) in seen:
            return
        seen.add(id(schema))
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMAS):
            visit(components.get(ref.removeprefix(_SCHEMAS)))
        if (
            schema.get("type") == "string"
            and not _KEEPS_NUL_OUT & schema.keys()
            and schema.get("format") not in _NUL_FREE_FORMATS
        ):
            schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
        for key in ("items", "additionalProperties", "not"):
            visit(schema.get(key))
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for option in schema.get(key, ()):
                visit(option)
        for option in schema.get("properties", {}).values():
            visit(option)

    for path in document.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", ()):
                visit(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                visit(media.get("schema"))


# Text the server takes has no NUL character (PostgreSQL could not store it).
NO_NUL = r"^[^\x00]*$"
# ... and is trimmed (pydantic's `str_strip_whitespace`, str.strip): text that must not be
# empty holds something other than the whitespace Python strips.
_SPACES = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace())
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACES}][^\x00]*$"
# A pattern, a fixed set of values or one of these formats already leaves NUL out.
_KEEPS_NUL_OUT = {"pattern", "enum", "const"}
_NUL_FREE_FORMATS = {"date", "date-time", "email", "idn-email"}


def _has_a_body(answer: dict[str, Any]) -> bool:
    # also_answers() leaves FastAPI to add an empty schema; a route's own model is kept.
    return any(media.get("schema") for media in answer.get("content", {}).values())


def _gated_by_role(dependant: Dependant) -> bool:
    """True when a dependency of the route checks a role above viewer (deps._role_dependency)."""
    if getattr(dependant.call, "required_role", None):
        return True
    return any(_gated_by_role(d) for d in dependant.dependencies)
