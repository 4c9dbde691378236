"""Form handling for the pages: CSRF, parsing into the shared schemas, errors by field."""

import math
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Generic, TypeVar, get_args

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from tracker.rules import UnitError
from tracker.schemas.common import TEXT_SOURCE
from tracker.services.errors import ServiceError
from tracker.web.deps import PageLogin
from tracker.web.security import NUL_REFUSED, from_this_site

FOREIGN_FORM = "The form expired or came from elsewhere. Go back, reload the page and try again."


def refuse_foreign_origin(request: Request) -> None:
    """403 when the browser says the request came from another site (Origin, Sec-Fetch-Site)."""
    if not from_this_site(
        request.headers,
        own_url=str(request.base_url),
        base_url=request.app.state.settings.base_url,
    ):
        raise HTTPException(status_code=403, detail=FOREIGN_FORM)


async def _verified_form(request: Request, login: PageLogin) -> FormData:
    refuse_foreign_origin(request)
    form = await request.form()
    session = login[0]
    token = form.get("csrf_token", "")
    if (
        session is None
        or not isinstance(token, str)
        or not secrets.compare_digest(token, session.csrf_token)
    ):
        raise HTTPException(status_code=403, detail=FOREIGN_FORM)
    for name, value in form.multi_items():
        # A multipart form's text fields pass the NUL check of the raw body (its files may
        # hold any byte), and PostgreSQL refuses NUL in text.
        if isinstance(value, str) and "\x00" in value:
            raise HTTPException(status_code=422, detail=f"{name}: {NUL_REFUSED}")
    return form


# Every state-changing page form carries the session's CSRF token and comes from this site.
VerifiedForm = Annotated[FormData, Depends(_verified_form)]


M = TypeVar("M", bound=BaseModel)


class FormResult(Generic[M]):
    """A parsed form: the model when valid, else the errors by field; the typed values."""

    def __init__(self, model: M | None, errors: dict[str, str], values: dict[str, Any]):
        self._model = model
        self.errors = errors
        self.values = values

    @property
    def model(self) -> M:
        """The validated input; there is one only when the form parsed (`ok`)."""
        if self._model is None:
            raise ValueError("the form did not parse: read its errors instead")
        return self._model

    @property
    def ok(self) -> bool:
        """True when the form parsed without errors."""
        return self._model is not None and not self.errors


def form_values(form: FormData, fields: list[str]) -> dict[str, Any]:
    """The submitted text of these fields (to show back), blanks as empty strings."""
    return {name: str(form.get(name, "")).strip() for name in fields}


def parse(
    model: type[M],
    data: dict[str, Any],
    values: dict[str, Any],
    *,
    blanks: str = "omit",
    nullable: tuple[str, ...] = (),
) -> FormResult[M]:
    """Validate `data` with the schema; blanks are left out, or sent as None ("clear").

    Fields in `nullable` are sent as None when blank even when other blanks are left out: a
    choice such as "Not recorded" that the schema asks for explicitly.
    """
    if blanks == "omit":
        cleaned = {
            k: (None if v == "" else v)
            for k, v in data.items()
            if v not in ("", None) or k in nullable
        }
    else:
        cleaned = {k: (None if v == "" else v) for k, v in data.items()}
    try:
        return FormResult(model.model_validate(cleaned, context=TEXT_SOURCE), {}, values)
    except ValidationError as exc:
        return FormResult(None, errors_by_field(exc, model), values)


def errors_by_field(exc: ValidationError, model: type[BaseModel] | None = None) -> dict[str, str]:
    """A ValidationError as {field: message} in plain words (the first message per field).

    `model` lets a bound be said whole ("between 1 and 5") where the schema gives both.
    """
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        field = ".".join(loc) if loc else "__all__"
        errors.setdefault(field, plain_message(error, loc, model))
    return errors


# How the forms call their fields, where the name alone would not say it.
FIELD_LABELS = {
    "days": "Days in a row",
    "dose_g": "Dose (g)",
    "dose_g_per_kg": "Dose (g/kg)",
    "interval_days": "Interval (days)",
    "days_per_course": "Days per course",
    "weight_kg": "Weight",
    "height_cm": "Height",
    "mrn": "MRN",
    "email": "E-mail",
    "scheduled_on": "Day",
    "start_time": "Start",
    "product_code": "Product",
    "min_interval_days": "Own shortest interval (days)",
    "max_interval_days": "Own longest interval (days)",
    "size_g": "vial size (g)",
    "expires_on": "expiry",
    "lot_number": "Lot number",
    "taken_on": "Taken on",
    "reviewed_on": "Reviewed on",
    "assessed_on": "Assessed on",
    "symptom_onset_on": "Symptom onset",
    "diagnosis_on": "Diagnosed on",
    "birth_date": "Birth date",
    "given_on": "Given on",
    "measured_on": "Measured on",
    "starts_on": "Starts on",
    "ends_on": "Ends on",
    "override_reason": "override reason",
    "confirm_weight_change": 'the box "Yes, this weight is right"',
    "confirm_lot_total": "the box to confirm the difference",
}
_BOUND_WORDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
# The fields a service's message may name as the API does (its JSON field names); only these,
# so that a lot number or a username with an underscore is left as typed.
_FIELD_NAMES = re.compile(
    r"\b(?:"
    + "|".join(sorted((n for n in FIELD_LABELS if "_" in n), key=len, reverse=True))
    + r")\b"
)


def field_label(loc: list[str]) -> str:
    """A field's name as the form shows it: "Days in a row", "Lot 2 vials"."""
    if len(loc) == 3 and loc[0] == "lots" and loc[1].isdigit():
        return f"Lot {int(loc[1]) + 1} {FIELD_LABELS.get(loc[2], loc[2].replace('_', ' '))}"
    name = loc[-1] if loc else "The form"
    label = FIELD_LABELS.get(name, name.replace("_", " "))
    return label[:1].upper() + label[1:]


def _bounds(model: type[BaseModel] | None, loc: list[str]) -> dict[str, Any]:
    """The numeric bounds the schema gives a field ({"ge": 1, "le": 5}), lots' fields too."""
    info = None
    for part in loc:
        if part.isdigit():
            continue
        if model is None or part not in model.model_fields:
            return {}
        info = model.model_fields[part]
        model = _inner_model(info.annotation)
    found = {}
    for item in info.metadata if info is not None else ():
        for key in _BOUND_WORDS:
            if getattr(item, key, None) is not None:
                found[key] = getattr(item, key)
    return found


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, or in a list or an optional), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _limit(bounds: dict[str, Any]) -> str:
    low, high = bounds.get("ge", bounds.get("gt")), bounds.get("le", bounds.get("lt"))
    if "ge" in bounds and "le" in bounds:
        return f"between {low:g} and {high:g}"
    return " and ".join(f"{_BOUND_WORDS[k]} {v:g}" for k, v in bounds.items())


def plain_message(
    error: Mapping[str, Any], loc: list[str], model: type[BaseModel] | None = None
) -> str:
    """One pydantic error in plain words, naming the field and the limit."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    label = field_label(loc)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bounds = _bounds(model, loc) or {
            {
                "greater_than": "gt",
                "greater_than_equal": "ge",
                "less_than": "lt",
                "less_than_equal": "le",
            }[kind]: next(iter(ctx.values()))
        }
        return f"{label} must be {_limit(bounds)}."
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"{label} is required."
    simple = {
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "int_type": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "finite_number": "must be a number",
        "date_parsing": "must be a date (YYYY-MM-DD)",
        "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
        "date_from_datetime_inexact": "must be a date (YYYY-MM-DD)",
        "date_type": "must be a date (YYYY-MM-DD)",
        "time_parsing": "must be a time (HH:MM)",
        "time_type": "must be a time (HH:MM)",
        "bool_parsing": "must be yes or no",
        "string_pattern_mismatch": "has characters that are not allowed",
        "extra_forbidden": "is not a field of this form",
        "string_type": "must be text",
        "none_required": "must be left blank",
    }
    if kind in simple:
        return f"{label} {simple[kind]}."
    if kind == "string_too_short":
        return f"{label} must be at least {ctx['min_length']} characters."
    if kind == "string_too_long":
        return f"{label} must be at most {ctx['max_length']} characters."
    if kind in ("literal_error", "enum"):
        return f"{label} must be one of: {ctx.get('expected', '')}."
    if kind == "too_long":
        return f"{label} may have at most {ctx.get('max_length')} entries."
    # Our own validators' messages (value_error) already say it in words.
    return error.get("msg", "invalid").removeprefix("Value error, ")


def saved(
    db: Session, result: FormResult[M], write: Callable[[M], object], *, then: str
) -> RedirectResponse | None:
    """Carry out a parsed form's write: the redirect to `then`, or None with the form's
    errors set (nothing written: a refused write is rolled back)."""
    if not result.ok:
        return None
    try:
        write(result.model)
    except ServiceError as exc:
        db.rollback()
        result.errors = service_error(exc)
        return None
    return RedirectResponse(then, status_code=303)


def service_error(exc: ServiceError) -> dict[str, str]:
    """A service's refusal as a field error (or a form-wide one), in the form's words."""
    return {exc.field or "__all__": in_form_words(exc.message)}


def in_form_words(message: str) -> str:
    """A message with the fields it names as the forms label them: "give an override reason",
    not "give an override_reason" (the API's words are its field names)."""

    def label(found: re.Match[str]) -> str:
        words = FIELD_LABELS.get(found.group(), found.group().replace("_", " "))
        # Mid-sentence, "Taken on" reads "taken on"; "MRN" stays as it is.
        at_start = found.start() == 0
        return words if at_start or words[1:2].isupper() else words[:1].lower() + words[1:]

    return _FIELD_NAMES.sub(label, message)


def in_stored_unit(
    text: str, unit: str, convert: Callable[[float, str], float]
) -> tuple[Any, dict[str, str]]:
    """A figure typed in `unit`, converted by the rules (to kg, cm); errors by field.

    Text that is not a number is passed on as typed, for the schema to name its field.
    """
    try:
        value = float(text)
    except ValueError:
        return text, {}
    if not math.isfinite(value):
        return text, {}
    try:
        return convert(value, unit), {}
    except UnitError as exc:
        return text, {exc.field: exc.message}
