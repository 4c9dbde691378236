"""The API reference at /docs: the schema as a page reads it (tracker/web/api_reference.py)
and the page itself, which shows every operation of the app's own schema."""

import html
import re

from tests.builders.pages import page_client
from tracker.web.api_reference import Part, build_reference, paragraphs, schema_anchor

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Demo", "version": "1.2", "description": "Calls `GET /x`.\n\nMore."},
    "tags": [{"name": "things", "description": "All the things."}],
    "paths": {
        "/things/{thing_id}": {
            "parameters": [{"$ref": "#/components/parameters/ThingId"}],
            "get": {
                "tags": ["things"],
                "summary": "Read a thing",
                "operationId": "read_thing",
                "security": [{"Bearer": []}],
                "parameters": [
                    {
                        "name": "fields",
                        "in": "query",
                        "schema": {
                            "anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]
                        },
                    }
                ],
                "responses": {
                    "404": {"$ref": "#/components/responses/Missing"},
                    "200": {
                        "description": "The thing",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                            "text/csv": {"schema": {"type": "string"}},
                            "text/calendar": {},
                        },
                    },
                    "default": {"description": "Anything else"},
                },
            },
            "put": {
                "operationId": "put_thing",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ThingWrite"}}
                    },
                },
                "responses": {"204": {"description": "Stored"}},
            },
        },
        "/open": {"post": {"responses": {"418": {"description": "A teapot"}}}},
    },
    "components": {
        "parameters": {
            "ThingId": {
                "name": "thing_id",
                "in": "path",
                "schema": {"type": "integer", "minimum": 1, "maximum": 99},
            }
        },
        "responses": {"Missing": {"description": "No such thing"}},
        "securitySchemes": {
            "Bearer": {
                "type": "oauth2",
                "flows": {"password": {"tokenUrl": "/token", "scopes": {}}},
            }
        },
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                    "size": {"type": "object", "properties": {"w": {"type": "number"}}},
                },
                "required": ["id"],
            },
            "ThingWrite": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 40},
                    "kind": {"$ref": "#/components/schemas/Tag"},
                    "born": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
                    "dose": {"type": "number", "exclusiveMinimum": 0.0, "maximum": 400.0},
                    "count": {"type": "integer", "default": 1},
                },
                "required": ["name"],
            },
            "Tag": {"type": "string", "enum": ["red", "blue"], "description": "A colour."},
        },
    },
}


def _op(reference, anchor):
    return next(op for op in reference.operations if op.anchor == anchor)


def test_a_ref_reads_as_its_component_linked_to_its_entry():
    ref = build_reference(SPEC)
    read = _op(ref, "op-read_thing")
    json_answer = next(a for a in read.answers if a.status == "200").media[0]
    assert json_answer.type == [Part("Thing", ref="Thing", anchor="schema-Thing")]
    thing = next(s for s in ref.schemas if s.name == "Thing")
    assert thing.anchor == schema_anchor("Thing") == "schema-Thing"
    tags = next(f for f in thing.fields if f.name == "tags")
    assert tags.type == [Part("array of "), Part("Tag", ref="Tag", anchor="schema-Tag")]
    # An inline object's own fields are listed under it.
    assert [f.name for f in thing.fields] == ["id", "tags", "size", "size.w"]
    tag = next(s for s in ref.schemas if s.name == "Tag")
    assert tag.fields == [] and tag.constraints == ['one of: "red", "blue"']


def test_a_body_lists_its_schemas_fields_with_the_required_ones_marked():
    body = _op(build_reference(SPEC), "op-put_thing").body
    assert body is not None and body.required and body.schema_name == "ThingWrite"
    fields = {f.name: f for f in body.fields}
    assert fields["name"].required and not fields["count"].required
    assert fields["name"].constraints == ["1 to 40 characters"]
    assert fields["born"].type == [Part("string (date)"), Part(" or null")]
    assert fields["dose"].constraints == ["at most 400", "more than 0"]
    assert fields["count"].constraints == ["default 1"]
    assert fields["kind"].type[0].ref == "Tag"
    write = next(s for s in build_reference(SPEC).schemas if s.name == "ThingWrite")
    assert write.closed


def test_parameters_answers_and_schemes_of_any_kind():
    ref = build_reference(SPEC)
    read = _op(ref, "op-read_thing")
    # The path's shared parameter (a $ref) comes first; a path parameter is required.
    where = [(p.name, p.where, p.required) for p in read.parameters]
    assert where == [("thing_id", "path", True), ("fields", "query", False)]
    assert read.parameters[0].constraints == ["1 to 99"]
    assert read.parameters[1].constraints == ['one of: "a", "b"']
    assert read.security == ["Bearer"] and read.tag == "things"
    # Answers by status, default last; any media type, with or without a schema.
    assert [a.status for a in read.answers] == ["200", "404", "default"]
    ok = read.answers[0]
    assert [m.name for m in ok.media] == ["application/json", "text/csv", "text/calendar"]
    assert ok.media[1].type == [Part("string")] and ok.media[2].type == []
    assert ok.headers == ["ETag"]
    assert read.answers[1].description == paragraphs("No such thing")
    assert ref.schemes[0].token_url == "/token"
    # An untagged operation is grouped under "other", after the declared tags.
    assert [g.name for g in ref.groups] == ["things", "other"]
    assert ref.groups[0].description == paragraphs("All the things.")
    assert [o.anchor for o in ref.groups[1].operations][0] == "op-put_thing"
    teapot = ref.groups[1].operations[1]
    assert (teapot.method, teapot.path, teapot.security) == ("POST", "/open", [])
    assert teapot.anchor.startswith("op-") and re.fullmatch(r"[A-Za-z0-9_-]+", teapot.anchor)


def test_descriptions_mark_code_and_keep_paragraphs():
    (first, second) = build_reference(SPEC).description
    assert [(p.text, p.code) for p in first] == [("Calls ", False), ("GET /x", True), (".", False)]
    assert second[0].text == "More."


def test_a_dangling_or_odd_schema_does_not_break_the_reference():
    spec = {
        "paths": {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Nowhere"}
                                },
                                "text/plain": {"schema": {"type": ["string", "null"]}},
                            }
                        }
                    }
                }
            }
        }
    }
    ref = build_reference(spec)
    media = ref.operations[0].answers[0].media
    assert media[0].type == [Part("Nowhere")]  # no entry to link to
    assert media[1].type == [Part("string"), Part(" or null")]
    assert ref.title == "API" and ref.schemas == []


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_page_shows_every_operation_of_the_apps_schema(app, make_user):
    viewer = page_client(app, make_user, "viewer")
    answer = viewer.get("/docs")
    assert answer.status_code == 200
    page = answer.text
    assert 'href="/openapi.json"' in page and "<script" not in page
    assert 'aria-label="Main"' in page and "Log out" in page  # the house header and nav
    spec = viewer.get("/openapi.json").json()
    ref = build_reference(spec)
    ids = set(re.findall(r'id="([^"]+)"', page))
    shown = 0
    for path, item in spec["paths"].items():
        for method in item:
            op = next(o for o in ref.operations if o.path == path and o.method == method.upper())
            assert op.anchor in ids, (method, path)
            assert f'href="#{op.anchor}"' in page, (method, path)  # in the contents
            heading = re.search(rf'<h3 id="{op.anchor}">(.*?)</h3>', page, re.S).group(1)
            assert _text(heading).split() == [method.upper(), path]
            shown += 1
    assert shown == len(ref.operations) >= 40
    for name in spec["components"]["schemas"]:
        assert f'id="{schema_anchor(name)}"' in page, name
    # Every link inside the page lands on something there.
    for target in set(re.findall(r'href="#([^"]+)"', page)):
        assert target in ids, target


def test_a_required_body_field_is_marked_required_on_the_page(app, make_user):
    page = page_client(app, make_user, "viewer").get("/docs").text
    section = page.split('id="op-create_patient_api_v1_patients_post"', 1)[1].split("</table>")[0]
    section = section.split("<h4>Request body</h4>", 1)[1]
    rows = {
        _text(row.split("</th>")[0]).strip(): _text(row)
        for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", section, re.S)
    }
    assert "required" in rows["mrn"].split() and "optional" in rows["reminder_consent"].split()
    assert "1 to 40 characters" in rows["mrn"]
    assert 'one of: "female", "male"' in rows["sex"]
    assert '<a href="#schema-PatientCreate"><code>PatientCreate</code></a>' in page


def test_the_docs_need_a_login_and_answer_a_token_too(client, api_as):
    assert client.get("/docs", follow_redirects=False).status_code == 401
    assert client.get("/openapi.json", follow_redirects=False).status_code == 401
    with_token = client.get("/docs", headers=api_as("viewer", "docs.api"))
    assert with_token.status_code == 200 and "API reference" in with_token.text
