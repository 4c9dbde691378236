"""The site policy as the API reads and changes it, declared from the rules' own ranges.

The rules (`rules.policy.SitePolicy`) check a change and name the key and range refused; the
OpenAPI document states the same keys, types and ranges here, so that what it declares is
what the server takes: no other key, each number in its range, each choice one of its own.
What JSON Schema cannot state is left to the rules' 422: settings checked against each other
(the shortest interval not above the longest, ...), a cap above the label only with a
`reason`, and the site's bounds against patients' own.
"""

from dataclasses import Field as DataclassField
from dataclasses import fields
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, create_model

from tracker.rules.policy import Range, SitePolicy
from tracker.schemas.common import Output

# The longest `reason` a change may give (services.policy refuses a longer one).
REASON_MAX_LENGTH = 500

_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}


def setting_schema(setting: DataclassField) -> dict[str, Any]:
    """One setting's JSON Schema: its type and range (or choices), meaning and default."""
    meaning = setting.metadata["meaning"]
    allowed: Range | None = setting.metadata.get("range")
    kind = setting.type  # the annotation as text (`from __future__ import annotations`)
    schema: dict[str, Any]
    if allowed is not None:
        schema = {"type": "integer" if kind == "int" else "number", **_bounds(allowed)}
    elif kind == "bool":
        schema = {"type": "boolean"}
    else:
        schema = {"type": "string", "enum": list(setting.metadata["choices"])}
    described = f"{meaning} ({allowed})" if allowed else meaning
    return schema | {"description": described, "default": setting.default}


def _bounds(allowed: Range) -> dict[str, float]:
    low = "exclusiveMinimum" if allowed.low_open else "minimum"
    high = "exclusiveMaximum" if allowed.high_open else "maximum"
    return {low: allowed.low, high: allowed.high}


SETTINGS = {setting.name: setting for setting in fields(SitePolicy)}

# PUT /api/v1/policy: any of the settings, and a reason; nothing else.
POLICY_CHANGE_SCHEMA: dict[str, Any] = {
    "title": "PolicyChange",
    "description": "The settings to change (the others keep their values), and why.",
    "type": "object",
    "properties": {
        **{name: setting_schema(setting) for name, setting in SETTINGS.items()},
        "reason": {
            "anyOf": [{"type": "string", "maxLength": REASON_MAX_LENGTH}, {"type": "null"}],
            "description": "Why; needed to set max_intensity_g_per_kg_28d above the label's "
            "2.4 g/kg per 28 days.",
        },
    },
    "additionalProperties": False,
}


def _read_field(setting: DataclassField) -> Any:
    declared = {k: v for k, v in setting_schema(setting).items() if k != "default"}
    return (Annotated[_TYPES[str(setting.type)], WithJsonSchema(declared)], Field())


PolicyRead = create_model(
    "PolicyRead",
    __base__=Output,
    __doc__="The site policy in force: every setting.",
    **{name: _read_field(setting) for name, setting in SETTINGS.items()},
)


class PolicyChanged(PolicyRead):
    """The policy after a change, the reason for a cap above the label, and what happens to
    the patients' evaluations."""

    max_intensity_reason: str | None
    re_evaluation: str
