"""Loose types refused: a consent is true or false, never "yes" or 1; a day is YYYY-MM-DD,
never 0 (1970-01-01) or a timestamp. Each refusal is a 422 naming the field."""

import typing
from datetime import date

import pytest
from pydantic import BaseModel, ValidationError

import tracker.schemas as schemas_package
from tests.builders.pages import page_client
from tracker.schemas.common import Day, Input

PATIENT = {
    "mrn": "STRICT-1",
    "given_name": "Ada",
    "family_name": "Byron",
    "birth_date": "1970-05-01",
    "sex": "female",
}


def _input_models() -> list[type[BaseModel]]:
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(schemas_package.__path__):
        importlib.import_module(f"tracker.schemas.{module.name}")
    found, todo = [], list(Input.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return found


def _is_bool(annotation) -> bool:
    if annotation is bool:
        return True
    return bool in typing.get_args(annotation) or any(
        _is_bool(a) for a in typing.get_args(annotation) if typing.get_args(a)
    )


def test_every_boolean_of_every_input_schema_is_strict():
    flags = [
        (model, name)
        for model in _input_models()
        for name, field in model.model_fields.items()
        if _is_bool(field.annotation) or field.annotation is bool
    ]
    assert len(flags) >= 10
    for model, name in flags:
        for loose in ("yes", 1, "true", "1", 0):
            with pytest.raises(ValidationError) as refused:
                model.model_validate({name: loose})
            assert any(e["loc"][:1] == (name,) for e in refused.value.errors()), (model, name)


@pytest.mark.parametrize(
    "loose", [0, 1_700_000_000, "0", "1970-01-01T00:00:00", "20260101", "2026-1-1", 2026.0]
)
def test_a_day_is_only_an_iso_date(loose):
    from pydantic import TypeAdapter

    adapter = TypeAdapter(Day)
    assert adapter.validate_python("2026-01-01") == date(2026, 1, 1)
    assert adapter.validate_python(date(2026, 1, 1)) == date(2026, 1, 1)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        adapter.validate_python(loose)


@pytest.mark.parametrize("loose", ["yes", 1, "true", "on"])
def test_the_api_refuses_a_consent_that_is_not_true_or_false(client, api_as, loose):
    headers = api_as("pharmacist")
    answer = client.post(
        "/api/v1/patients", headers=headers, json={**PATIENT, "reminder_consent": loose}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == "reminder_consent"
    made = client.post(
        "/api/v1/patients", headers=headers, json={**PATIENT, "reminder_consent": False}
    )
    assert made.status_code == 201, made.text
    changed = client.patch(
        f"/api/v1/patients/{made.json()['id']}", headers=headers, json={"reminder_consent": loose}
    )
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["loc"][-1] == "reminder_consent"


@pytest.mark.parametrize("loose", [0, "1970-01-01T00:00:00", "19700501"])
def test_the_api_refuses_a_birth_date_that_is_not_iso(client, api_as, loose):
    answer = client.post(
        "/api/v1/patients", headers=api_as("pharmacist"), json={**PATIENT, "birth_date": loose}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == "birth_date"


def test_a_day_in_the_query_is_only_an_iso_date(client, api_as, app, make_user):
    headers = api_as("pharmacist")
    assert client.get("/api/v1/worklist?on=2026-01-05", headers=headers).status_code == 200
    for loose in ("0", "1700000000", "2026-01-05T00:00:00"):
        answer = client.get(f"/api/v1/worklist?on={loose}", headers=headers)
        assert answer.status_code == 422, answer.text[:300]
        assert answer.json()["detail"][0]["loc"] == ["query", "on"]
    pages = page_client(app, make_user, "pharmacist", "page.pharmacist")
    for path in ("/", "/log"):
        assert pages.get(f"{path}?on=2026-01-05").status_code == 200
        assert pages.get(f"{path}?on=0").status_code == 422
