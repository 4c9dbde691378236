"""The app's OpenAPI schema as a page reads it: operations grouped by tag, their parameters,
request bodies and answers, and the named schemas they refer to.

A pure function of the schema (a dict, as `app.openapi()` gives it), so the page at `/docs`
is drawn by a template with no JavaScript and the conversion is tested on plain dicts. It
copes with whatever a route declares: any status code, any media type (JSON, CSV,
iCalendar, ...), a media type with no schema, and `$ref`s to components of every kind.
A `$ref` to a schema is not expanded: it is shown as the component's name, linked to its
entry under "Schemas", where each component's fields are listed once.
"""

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
UNTAGGED = "other"
SCHEMA_PREFIX = "#/components/schemas/"
# How deep the fields of an inline object inside a field are listed ("a.b.c").
MAX_FIELD_DEPTH = 3
WHERE = {"path": "path", "query": "query", "header": "header", "cookie": "cookie"}


@dataclass(frozen=True)
class Part:
    """A piece of a type as read: text, or the name of a schema (`ref`) to link to."""

    text: str
    ref: str = ""  # the component's name; its anchor is `anchor`
    anchor: str = ""


@dataclass(frozen=True)
class Piece:
    """A piece of a description: plain text, or `code` (written `like this` in the schema)."""

    text: str
    code: bool = False


Paragraph = list[Piece]


@dataclass(frozen=True)
class Field:
    """A field of an object, or a parameter: its type, whether required and its limits."""

    name: str
    type: list[Part]
    required: bool
    constraints: list[str]
    description: list[Paragraph]
    where: str = ""  # a parameter's place: path, query, header or cookie


@dataclass(frozen=True)
class Media:
    """A media type an operation takes or answers with, and the schema of that content."""

    name: str
    type: list[Part]  # empty when the schema says nothing (any content)


@dataclass(frozen=True)
class Body:
    """An operation's request body: its media types and, for an object, its fields."""

    required: bool
    description: list[Paragraph]
    media: list[Media]
    fields: list[Field]
    schema_name: str  # the component it refers to, if one
    schema_anchor: str


@dataclass(frozen=True)
class Answer:
    """One documented answer: the status code, what it means, its media types."""

    status: str
    description: list[Paragraph]
    media: list[Media]
    headers: list[str]


@dataclass(frozen=True)
class Operation:
    """One method on one path."""

    method: str  # upper case: GET, POST, ...
    path: str
    anchor: str
    summary: str
    description: list[Paragraph]
    tag: str
    deprecated: bool
    security: list[str]  # the schemes any one of which it accepts; empty: no login
    parameters: list[Field]
    body: Body | None
    answers: list[Answer]


@dataclass(frozen=True)
class Group:
    """The operations under one tag."""

    name: str
    anchor: str
    description: list[Paragraph]
    operations: list[Operation]


@dataclass(frozen=True)
class Schema:
    """A named component schema: its fields (an object) or its type and limits (else)."""

    name: str
    anchor: str
    description: list[Paragraph]
    type: list[Part]
    constraints: list[str]
    fields: list[Field]
    closed: bool  # additionalProperties: false (other fields are refused)


@dataclass(frozen=True)
class Scheme:
    """A security scheme, in words."""

    name: str
    text: str
    token_url: str = ""


@dataclass(frozen=True)
class Reference:
    """The whole API as the page shows it."""

    title: str
    version: str
    openapi: str
    description: list[Paragraph]
    schemes: list[Scheme]
    groups: list[Group]
    schemas: list[Schema]
    operations: list[Operation] = field(default_factory=list)


def anchor(kind: str, name: str) -> str:
    """An HTML id for a thing of this kind and name (letters, digits, - and _ only)."""
    return f"{kind}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-') or 'x'}"


def schema_anchor(name: str) -> str:
    """The id of a component schema's entry on the page."""
    return anchor("schema", name)


def paragraphs(text: str | None) -> list[Paragraph]:
    """Markdown-ish text as paragraphs (split at blank lines), `code` marked; the rest of
    the markdown is left as typed (and escaped by the template, like any text)."""
    found = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        block = " ".join(line.strip() for line in block.splitlines()).strip()
        if not block:
            continue
        pieces = []
        for i, chunk in enumerate(re.split(r"`([^`]*)`", block)):
            if chunk:
                pieces.append(Piece(chunk, code=i % 2 == 1))
        found.append(pieces)
    return found


class _Reader:
    """Reads one OpenAPI document; `$ref`s are looked up in it."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.components = spec.get("components") or {}
        self.schemas: dict[str, Any] = self.components.get("schemas") or {}

    def resolve(self, item: Any, depth: int = 0) -> Any:
        """An object with its `$ref` followed (parameters, bodies, answers, headers)."""
        while isinstance(item, dict) and isinstance(item.get("$ref"), str) and depth < 20:
            target = self._pointer(item["$ref"])
            if target is None:
                return {k: v for k, v in item.items() if k != "$ref"}
            item, depth = target, depth + 1
        return item if isinstance(item, dict) else {}

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return None
        node: Any = self.spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    # --- types -----------------------------------------------------------------------

    def type_of(self, schema: Any) -> list[Part]:
        """A schema as words and links: "string (date)", "array of [PatientRead]",
        "[Sex] or null"; an empty list for no schema at all."""
        if not isinstance(schema, dict) or not schema:
            return []
        return self._type(schema, 0)

    def _type(self, schema: dict[str, Any], depth: int) -> list[Part]:
        if depth > 8:
            return [Part("…")]
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return [self._ref_part(ref)]
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._alternatives(schema[key], depth)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            branches = [b for b in schema["allOf"] if isinstance(b, dict)]
            if len(branches) == 1:
                return self._type(branches[0], depth + 1)
            return self._joined(branches, " and ", depth)
        if "const" in schema:
            return [Part(f"constant {_value(schema['const'])}")]
        kind = schema.get("type")
        if isinstance(kind, list):
            names = [k for k in kind if isinstance(k, str)]
            shown = self._alternatives([dict(schema, type=k) for k in names], depth)
            return shown or [Part("any")]
        if kind == "array":
            items = schema.get("items")
            inner = self._type(items, depth + 1) if isinstance(items, dict) and items else []
            return [Part("array of "), *inner] if inner else [Part("array")]
        if kind == "object" or (kind is None and "properties" in schema):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra and not schema.get("properties"):
                return [Part("object of string to "), *self._type(extra, depth + 1)]
            return [Part("object")]
        if isinstance(kind, str):
            fmt = schema.get("format") or schema.get("contentMediaType")
            return [Part(f"{kind} ({fmt})" if fmt else kind)]
        if "enum" in schema:
            return [Part("enum")]
        return [Part("any")]

    def _alternatives(self, branches: list[Any], depth: int) -> list[Part]:
        shown = [b for b in branches if isinstance(b, dict)]
        nullable = any(b.get("type") == "null" for b in shown)
        rest = [b for b in shown if b.get("type") != "null"]
        parts = self._joined(rest, " or ", depth) if rest else [Part("null")]
        return [*parts, Part(" or null")] if nullable and rest else parts

    def _joined(self, branches: list[dict[str, Any]], word: str, depth: int) -> list[Part]:
        parts: list[Part] = []
        for i, branch in enumerate(branches):
            if i:
                parts.append(Part(word))
            parts.extend(self._type(branch, depth + 1))
        return parts

    def _ref_part(self, ref: str) -> Part:
        if ref.startswith(SCHEMA_PREFIX):
            name = ref[len(SCHEMA_PREFIX) :]
            if name in self.schemas:
                return Part(name, ref=name, anchor=schema_anchor(name))
            return Part(name)
        return Part(ref)

    # --- limits ----------------------------------------------------------------------

    def constraints(self, schema: Any) -> list[str]:
        """The limits a schema sets, in words: "one of: a, b", "1 to 200", "default 50"."""
        found: list[str] = []
        self._constraints(schema, found, 0)
        return list(dict.fromkeys(found))

    def _constraints(self, schema: Any, found: list[str], depth: int) -> None:
        if not isinstance(schema, dict) or depth > 4:
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for branch in schema.get(key) or ():
                if isinstance(branch, dict) and "$ref" not in branch:
                    self._constraints(branch, found, depth + 1)
        if isinstance(schema.get("enum"), list):
            found.append("one of: " + ", ".join(_value(v) for v in schema["enum"]))
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            found.append(f"{_number(low)} to {_number(high)}")
        elif low is not None:
            found.append(f"at least {_number(low)}")
        elif high is not None:
            found.append(f"at most {_number(high)}")
        words = {
            "exclusiveMinimum": "more than {}",
            "exclusiveMaximum": "less than {}",
            "multipleOf": "a multiple of {}",
        }
        for key, text in words.items():
            value = schema.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                found.append(text.format(_number(value)))
        found.extend(_sized(schema, "Length", "characters"))
        found.extend(_sized(schema, "Items", "items"))
        found.extend(_sized(schema, "Properties", "fields"))
        if schema.get("uniqueItems"):
            found.append("no repeated items")
        if isinstance(schema.get("pattern"), str):
            found.append(f"pattern {schema['pattern']}")
        if "default" in schema:
            found.append(f"default {_value(schema['default'])}")
        if schema.get("readOnly"):
            found.append("read only")
        if schema.get("writeOnly"):
            found.append("write only")
        if schema.get("deprecated"):
            found.append("deprecated")

    # --- fields ----------------------------------------------------------------------

    def fields(self, schema: Any, prefix: str = "", depth: int = 0) -> list[Field]:
        """The fields of an object schema (inline objects inside it listed as "a.b")."""
        if not isinstance(schema, dict):
            return []
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return []
        required = set(schema.get("required") or ())
        found = []
        for name, sub in properties.items():
            sub = sub if isinstance(sub, dict) else {}
            found.append(
                Field(
                    name=f"{prefix}{name}",
                    type=self.type_of(sub) or [Part("any")],
                    required=name in required,
                    constraints=self.constraints(sub),
                    description=paragraphs(sub.get("description")),
                )
            )
            if depth + 1 < MAX_FIELD_DEPTH and "$ref" not in sub:
                nested = sub.get("items") if sub.get("type") == "array" else sub
                found.extend(self.fields(nested, f"{prefix}{name}.", depth + 1))
        return found

    def object_of(self, schema: Any) -> tuple[str, dict[str, Any]]:
        """The component a schema names (with allOf of one ref too) and its definition."""
        if not isinstance(schema, dict):
            return "", {}
        ref = schema.get("$ref")
        if ref is None and isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            ref = schema["allOf"][0].get("$ref") if isinstance(schema["allOf"][0], dict) else None
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            name = ref[len(SCHEMA_PREFIX) :]
            target = self.schemas.get(name)
            return (name, target) if isinstance(target, dict) else ("", {})
        return "", schema

    # --- the document ----------------------------------------------------------------

    def parameter(self, raw: Any) -> Field:
        item = self.resolve(raw)
        schema = item.get("schema")
        if not isinstance(schema, dict):  # `content` instead of `schema`
            content = item.get("content") or {}
            first: Any = next(iter(content.values()), {}) if isinstance(content, dict) else {}
            schema = first.get("schema") if isinstance(first, dict) else {}
        where = str(item.get("in", ""))
        return Field(
            name=str(item.get("name", "")),
            type=self.type_of(schema) or [Part("any")],
            required=bool(item.get("required")) or where == "path",
            constraints=[
                *self.constraints(schema),
                *(["deprecated"] if item.get("deprecated") else []),
            ],
            description=paragraphs(item.get("description")),
            where=WHERE.get(where, where),
        )

    def media(self, content: Any) -> list[Media]:
        if not isinstance(content, dict):
            return []
        return [
            Media(name=str(name), type=self.type_of((media or {}).get("schema")))
            for name, media in content.items()
            if isinstance(media, dict) or media is None
        ]

    def body(self, raw: Any) -> Body | None:
        if raw is None:
            return None
        item = self.resolve(raw)
        content = item.get("content") if isinstance(item.get("content"), dict) else {}
        media = self.media(content)
        first = next((m.get("schema") for m in content.values() if isinstance(m, dict)), None)
        name, definition = self.object_of(first)
        return Body(
            required=bool(item.get("required")),
            description=paragraphs(item.get("description")),
            media=media,
            fields=self.fields(definition),
            schema_name=name,
            schema_anchor=schema_anchor(name) if name else "",
        )

    def answers(self, raw: Any) -> list[Answer]:
        if not isinstance(raw, dict):
            return []
        found = []
        for status in sorted(raw, key=_status_order):
            item = self.resolve(raw[status])
            headers = item.get("headers") if isinstance(item.get("headers"), dict) else {}
            found.append(
                Answer(
                    status=str(status),
                    description=paragraphs(item.get("description")),
                    media=self.media(item.get("content")),
                    headers=[str(h) for h in headers],
                )
            )
        return found

    def operation(self, path: str, method: str, op: dict[str, Any], shared: list[Any]) -> Operation:
        own = [self.resolve(p) for p in op.get("parameters") or ()]
        taken = {(p.get("name"), p.get("in")) for p in own}
        inherited = [
            p for p in map(self.resolve, shared) if (p.get("name"), p.get("in")) not in taken
        ]
        security = op.get("security", self.spec.get("security")) or []
        tags = [t for t in op.get("tags") or () if isinstance(t, str)]
        operation_id = op.get("operationId") or f"{method}-{path}"
        return Operation(
            method=method.upper(),
            path=path,
            anchor=anchor("op", str(operation_id)),
            summary=str(op.get("summary") or ""),
            description=paragraphs(op.get("description")),
            tag=tags[0] if tags else UNTAGGED,
            deprecated=bool(op.get("deprecated")),
            security=sorted({name for req in security if isinstance(req, dict) for name in req}),
            parameters=[self.parameter(p) for p in [*inherited, *own]],
            body=self.body(op.get("requestBody")),
            answers=self.answers(op.get("responses")),
        )

    def operations(self) -> list[Operation]:
        found = []
        for path, item in (self.spec.get("paths") or {}).items():
            item = self.resolve(item)
            shared = item.get("parameters") or []
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    found.append(self.operation(str(path), method, item[method], shared))
        return _unique_anchors(found)

    def schema(self, name: str, definition: Any) -> Schema:
        definition = definition if isinstance(definition, dict) else {}
        fields = self.fields(definition)
        return Schema(
            name=name,
            anchor=schema_anchor(name),
            description=paragraphs(definition.get("description")),
            type=self.type_of(definition) or [Part("any")],
            constraints=self.constraints(definition),
            fields=fields,
            closed=definition.get("additionalProperties") is False,
        )

    def schemes(self) -> list[Scheme]:
        found = []
        for name, raw in (self.components.get("securitySchemes") or {}).items():
            item = self.resolve(raw)
            kind = item.get("type")
            token_url = ""
            if kind == "oauth2":
                flows = item.get("flows") or {}
                token_url = next(
                    (f.get("tokenUrl", "") for f in flows.values() if isinstance(f, dict)), ""
                )
                text = "a bearer token in the Authorization header"
            elif kind == "http":
                text = f"HTTP {item.get('scheme', '')} authentication".replace("  ", " ")
            elif kind == "apiKey":
                text = f"an API key in the {item.get('in', '')} {item.get('name', '')}".strip()
            else:
                text = str(kind or "unknown")
            found.append(Scheme(name=str(name), text=text, token_url=str(token_url)))
        return found


def build_reference(spec: dict[str, Any]) -> Reference:
    """The page's view of an OpenAPI document."""
    reader = _Reader(spec)
    operations = reader.operations()
    declared = {
        t["name"]: t
        for t in spec.get("tags") or ()
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    }
    order = [*declared]
    for op in operations:
        if op.tag not in order:
            order.append(op.tag)
    groups = [
        Group(
            name=tag,
            anchor=anchor("tag", tag),
            description=paragraphs((declared.get(tag) or {}).get("description")),
            operations=[op for op in operations if op.tag == tag],
        )
        for tag in order
    ]
    info = spec.get("info") or {}
    return Reference(
        title=str(info.get("title") or "API"),
        version=str(info.get("version") or ""),
        openapi=str(spec.get("openapi") or ""),
        description=paragraphs(info.get("description")),
        schemes=reader.schemes(),
        groups=[g for g in groups if g.operations],
        schemas=[reader.schema(name, d) for name, d in sorted(reader.schemas.items())],
        operations=operations,
    )


def _unique_anchors(operations: list[Operation]) -> list[Operation]:
    seen: dict[str, int] = {}
    found = []
    for op in operations:
        count = seen.get(op.anchor, 0)
        seen[op.anchor] = count + 1
        if count:
            op = replace(op, anchor=f"{op.anchor}-{count + 1}")
        found.append(op)
    return found


def _status_order(status: Any) -> tuple[int, str]:
    # 200 before 201 before 4XX before default.
    text = str(status)
    return (
        (int(text), text) if text.isdigit() else (1000 if text.lower() != "default" else 2000, text)
    )


def _sized(schema: dict[str, Any], what: str, unit: str) -> list[str]:
    low, high = schema.get(f"min{what}"), schema.get(f"max{what}")
    if low is not None and high is not None:
        return [f"{_number(low)} to {_number(high)} {unit}"]
    if low is not None:
        return [f"at least {_number(low)} {unit}"]
    if high is not None:
        return [f"at most {_number(high)} {unit}"]
    return []


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return json.dumps(value, ensure_ascii=False)
