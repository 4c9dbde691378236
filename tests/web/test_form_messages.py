"""Page forms say what is wrong in plain words naming the field and the limit."""

from datetime import date
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from tracker.schemas.treatment import InfusionCreate, LotInput
from tracker.services.errors import Conflict
from tracker.web.forms import errors_by_field, parse, service_error


class Sample(BaseModel):
    days: Annotated[int, Field(ge=1, le=5)] = 1
    dose_g: Annotated[float, Field(gt=0, le=400)] = 1
    outcome: Literal["continue", "stop"] = "continue"
    measured_on: date | None = None
    notes: Annotated[str, Field(max_length=5)] = ""
    given_name: str = "x"


@pytest.mark.parametrize(
    "data,field,words",
    [
        ({"days": "9"}, "days", "Days in a row must be between 1 and 5"),
        ({"days": "0"}, "days", "Days in a row must be between 1 and 5"),
        ({"days": "2.5"}, "days", "Days in a row must be a whole number"),
        ({"dose_g": "abc"}, "dose_g", "Dose (g) must be a number"),
        ({"dose_g": "0"}, "dose_g", "Dose (g) must be more than 0 and at most 400"),
        ({"outcome": "maybe"}, "outcome", "Outcome must be one of: 'continue' or 'stop'"),
        ({"measured_on": "soon"}, "measured_on", "Measured on must be a date"),
        ({"notes": "too long"}, "notes", "Notes must be at most 5 characters"),
        ({"given_name": 5}, "given_name", "Given name must be text"),
    ],
)
def test_common_pydantic_errors_in_plain_words(data, field, words):
    result = parse(Sample, data, data)
    assert words in result.errors[field]
    assert "Input should" not in result.errors[field]


def test_missing_fields_and_nested_lots_are_named():
    with pytest.raises(ValidationError) as refused:
        InfusionCreate.model_validate({"days": 9, "lots": [{"lot_number": "L", "vials": 0}]})
    errors = errors_by_field(refused.value, InfusionCreate)
    assert errors["scheduled_on"] == "Day is required."
    assert errors["days"] == "Days in a row must be between 1 and 5."
    assert errors["lots.0.vials"] == "Lot 1 vials must be between 1 and 200."
    with pytest.raises(ValidationError) as refused:
        LotInput.model_validate({"lot_number": "", "vials": 1})
    assert errors_by_field(refused.value, LotInput)["lot_number"] == "Lot number is required."


@pytest.mark.parametrize(
    "message,words",
    [
        ("give an override_reason to go ahead", "give an override reason to go ahead"),
        ("symptom_onset_on is after assessed_on", "Symptom onset is after assessed on"),
        (
            "check the lots, or confirm the difference (confirm_lot_total)",
            "check the lots, or confirm the difference (the box to confirm the difference)",
        ),
        # A lot number or a username with an underscore is no field: left as typed.
        ("lot ab_12 expired on 01 Jan 2026", "lot ab_12 expired on 01 Jan 2026"),
        ("a user named ann_lee exists", "a user named ann_lee exists"),
    ],
)
def test_a_services_refusal_names_the_fields_as_the_form_labels_them(message, words):
    # The API's messages name its JSON fields; a page showed "override_reason" to a nurse.
    assert service_error(Conflict(message, field="x")) == {"x": words}
