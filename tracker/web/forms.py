"""Form handling for the pages: CSRF, parsing into the shared schemas, errors by field."""

import math
import secrets
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from tracker.rules import UnitError
from tracker.services.errors import ServiceError
from tracker.web.deps import PageLogin


async def _verified_form(request: Request, login: PageLogin) -> FormData:
    form = await request.form()
    session = login[0]
    token = form.get("csrf_token", "")
    if session is None or not isinstance(token, str) or not secrets.compare_digest(
        token, session.csrf_token
    ):
        raise HTTPException(status_code=403, detail="The form expired or came from elsewhere. "
                            "Go back, reload the page and try again.")
    return form


# Every state-changing page form carries the session's CSRF token.
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
    model: type[M], data: dict[str, Any], values: dict[str, Any], *,
    blanks: str = "omit",
) -> FormResult[M]:
    """Validate `data` with the schema; blanks are left out, or sent as None ("clear")."""
    if blanks == "omit":
        cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    else:
        cleaned = {k: (None if v == "" else v) for k, v in data.items()}
    try:
        return FormResult(model.model_validate(cleaned), {}, values)
    except ValidationError as exc:
        return FormResult(None, errors_by_field(exc), values)


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    """A ValidationError as {field: message} (the first message per field)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        field = ".".join(loc) if loc else "__all__"
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def service_error(exc: ServiceError) -> dict[str, str]:
    """A service's refusal as a field error (or a form-wide one)."""
    return {exc.field or "__all__": exc.message}


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
