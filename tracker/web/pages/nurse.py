"""The nurse's day: today's infusions and a one-submit log of each."""

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tracker.schemas.common import TEXT_SOURCE, Day
from tracker.schemas.scores import AssessmentCreate
from tracker.schemas.treatment import InfusionAdminister
from tracker.services import audit, nurse_log
from tracker.services.errors import ServiceError
from tracker.services.infusions import get_infusion
from tracker.services.patients import get_patient
from tracker.services.products import product_choices
from tracker.web.deps import DbSession, IdPath, PageNurse, Today, actor, writes_on_get
from tracker.web.forms import FIELD_LABELS, VerifiedForm, errors_by_field, service_error
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

LOT_ROWS = 4
# The scores asked for at each course: (form field, measure, side, timing, label).
SCORE_FIELDS = [
    (f"{timing}_{key}", measure, side, timing, label)
    for timing in ("pre", "post")
    for key, measure, side, label in (
        ("grip_left", "grip", "left", "Grip left"),
        ("grip_right", "grip", "right", "Grip right"),
        ("mrc_sum", "mrc_sum", None, "MRC sum score"),
    )
]
GRIP_MEASURES = [
    ("grip_vigorimeter", "Vigorimeter (kPa)"),
    ("grip_dynamometer", "Dynamometer (kg)"),
]


@router.get("/log")
def day_page(
    request: Request,
    db: DbSession,
    user: PageNurse,
    today: Today,
    on: Annotated[Day | None, Query()] = None,
):
    """The day's infusions, each with a link to log it."""
    day = on or today
    return render(
        request,
        "nurse_day.html",
        {"day": day, "today": today, "rows": nurse_log.day_list(db, day=day)},
    )


def _form_page(request, db, today, infusion_id, *, values=None, errors=None, status=200):
    infusion = get_infusion(db, infusion_id)
    patient = get_patient(db, infusion.patient_id)
    if values is None:
        pre = nurse_log.prefill(db, infusion=infusion)
        values = {
            "given_on": infusion.scheduled_on.isoformat(),
            "dose_g": f"{pre['dose_g']:g}" if pre["dose_g"] else "",
            "product_code": pre["product_code"],
            "grip_measure": "grip_vigorimeter",
        }
        for i, lot in enumerate(pre["lots"][:LOT_ROWS]):
            values[f"lots.{i}.vials"] = str(lot["vials"])
            values[f"lots.{i}.size_g"] = f"{lot['size_g']:g}"
    return render(
        request,
        "nurse_log.html",
        {
            "infusion": infusion,
            "patient": patient,
            "values": values,
            "errors": errors or {},
            # No product is taken for granted: the regimen's is chosen, else an empty choice.
            "products": [("", "Choose a product"), *product_choices(db)],
            "lot_rows": range(LOT_ROWS),
            "score_fields": SCORE_FIELDS,
            "grip_measures": GRIP_MEASURES,
            "today": today,
        },
        status_code=status,
    )


@router.get("/log/{infusion_id}")
@writes_on_get
def log_form(request: Request, db: DbSession, user: PageNurse, today: Today, infusion_id: IdPath):
    """The log form, pre-filled from the regimen and its vial plan."""
    infusion = get_infusion(db, infusion_id)
    audit.patient_viewed(
        db,
        actor=actor(request, user),
        patient_id=infusion.patient_id,
        part=f"log form, infusion {infusion_id}",
    )
    return _form_page(request, db, today, infusion_id)


@router.post("/log/{infusion_id}")
def log_submit(
    request: Request,
    db: DbSession,
    user: PageNurse,
    form: VerifiedForm,
    today: Today,
    infusion_id: IdPath,
):
    """Record the course as given with lots, reactions and scores; all or nothing."""
    # The form's text, and the keys the handlers add: the lot rows sent and a confirm flag.
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    if values.pop("action", "") == "scan":
        return _scanned(request, db, today, infusion_id, values)
    values.pop("scan", None)
    errors: dict[str, str] = {}
    given = _administered(values, errors)
    if not values.get("product_code"):
        errors.setdefault("product_code", "Choose the product given.")
    scores = _scores(values, errors)
    if not errors:
        if given is None:  # _administered says why whenever it returns None
            raise RuntimeError("the course could not be read, yet no field has an error")
        try:
            nurse_log.log_course(
                db,
                actor=actor(request, user),
                infusion_id=infusion_id,
                given=given,
                scores=scores,
                today=today,
            )
            infusion = get_infusion(db, infusion_id)
            return RedirectResponse(
                f"/log?on={infusion.scheduled_on.isoformat()}&logged={infusion_id}", status_code=303
            )
        except ServiceError as exc:
            db.rollback()
            errors = service_error(exc)
    errors = _shown_on_the_form(_form_rows(errors, values.pop("_lot_rows", [])))
    # A course no longer booked, or one outside or beyond the funding authorisations (the
    # override reason field then appears with the refusal beside it): conflicts.
    conflict = "status" in errors or "override_reason" in errors
    if "status" in errors:
        # The course is no longer booked (logged from another screen, cancelled): said where
        # the form's own errors appear, since the form has no status field.
        status = get_infusion(db, infusion_id).status
        errors["__all__"] = (
            f"This course is already recorded as {status}: nothing was "
            f"saved ({errors.pop('status')})."
        )
    confirm = FIELD_LABELS["confirm_lot_total"]  # as service_error words the field
    if confirm in errors.get("lots", ""):
        # The lots differ from the dose: said in grams, and a box to confirm it is right.
        errors["lots"] = errors["lots"].replace(
            f"or confirm the difference ({confirm})",
            "or tick the box to confirm the difference is right",
        )
        values["ask_lot_confirmation"] = True
    return _form_page(
        request,
        db,
        today,
        infusion_id,
        values=values,
        errors=errors,
        status=409 if conflict else 422,
    )


def _scanned(request, db, today, infusion_id, values: dict):
    """The form again with a scanned vial's product, lot and expiry filled in; nothing saved."""
    text = values.pop("scan", "")
    if not text:  # Enter pressed in another field: the form again, as typed
        return _form_page(request, db, today, infusion_id, values=values)
    try:
        found = nurse_log.read_scan(db, text=text)
    except ServiceError as exc:
        return _form_page(
            request, db, today, infusion_id, values=values, errors=service_error(exc), status=422
        )
    values["product_code"] = found["product_code"]
    rows = [i for i in range(LOT_ROWS) if not values.get(f"lots.{i}.lot_number")]
    same = [
        i
        for i in range(LOT_ROWS)
        if values.get(f"lots.{i}.lot_number") == found["lot_number"] != ""
    ]
    if not same and not rows:
        return _form_page(
            request,
            db,
            today,
            infusion_id,
            values=values,
            status=422,
            errors={"scan": "Every lot row is used: clear one to add this lot."},
        )
    row = (same or rows)[0]
    values[f"lots.{row}.lot_number"] = found["lot_number"]
    if found["expires_on"]:
        values[f"lots.{row}.expires_on"] = found["expires_on"]
    return _form_page(request, db, today, infusion_id, values=values)


def _administered(values: dict, errors: dict) -> InfusionAdminister | None:
    lots, rows = [], []
    for i in range(LOT_ROWS):
        row = {
            k: values.get(f"lots.{i}.{k}", "")
            for k in ("lot_number", "vials", "size_g", "expires_on")
        }
        # A row the form pre-filled with vials but no lot number was not used.
        if row["lot_number"] or row["expires_on"]:
            lots.append({k: v for k, v in row.items() if v})
            rows.append(i)
    values["_lot_rows"] = rows
    data = {
        k: values.get(k)
        for k in (
            "given_on",
            "dose_g",
            "product_code",
            "reactions",
            "premedication",
            "notes",
            "override_reason",
        )
        if values.get(k)
    }
    data["confirm_lot_total"] = values.get("confirm_lot_total") == "1"
    try:
        return InfusionAdminister.model_validate({**data, "lots": lots}, context=TEXT_SOURCE)
    except ValidationError as exc:
        errors.update(errors_by_field(exc, InfusionAdminister))
        return None


# The log form's own fields (with its lot rows, `lots.N.x`, and its score fields).
_FIELDS = frozenset(
    {
        "scan",
        "given_on",
        "dose_g",
        "product_code",
        "override_reason",
        "lots",
        "confirm_lot_total",
        "grip_measure",
        "reactions",
        "premedication",
        "notes",
        "status",  # said where the form's own errors appear, below
        *(field for field, *_ in SCORE_FIELDS),
    }
)


def _shown_on_the_form(errors: dict) -> dict:
    """Errors about what the form has no field for (the course's chair taken on the day it
    was given, say) said where the form's own errors appear: a form that came back with
    no message at all left the nurse guessing why nothing was saved."""
    elsewhere = [
        message
        for key, message in errors.items()
        if key != "__all__" and key not in _FIELDS and not key.startswith("lots.")
    ]
    if not elsewhere:
        return errors
    kept = {k: v for k, v in errors.items() if k in _FIELDS or k.startswith("lots.")}
    said = [errors["__all__"]] if "__all__" in errors else []
    kept["__all__"] = " ".join([*said, f"Nothing was saved: {'; '.join(elsewhere)}."])
    return kept


def _form_rows(errors: dict, rows: list[int]) -> dict:
    """Errors about the n-th lot sent, renamed to the form row it came from."""
    renamed = {}
    for key, message in errors.items():
        parts = key.split(".")
        if (
            len(parts) == 3
            and parts[0] == "lots"
            and parts[1].isdigit()
            and int(parts[1]) < len(rows)
        ):
            key = f"lots.{rows[int(parts[1])]}.{parts[2]}"
        renamed[key] = message
    return renamed


def _scores(values: dict, errors: dict) -> list[tuple[str, AssessmentCreate]]:
    grip = values.get("grip_measure") or "grip_vigorimeter"
    day = values.get("given_on")
    scores = []
    for field, measure, side, timing, _label in SCORE_FIELDS:
        if not values.get(field):
            continue
        try:
            scores.append(
                (
                    field,
                    AssessmentCreate.model_validate(
                        {
                            "taken_on": day,
                            "measure": grip if measure == "grip" else measure,
                            "side": side,
                            "value": values[field],
                            "timing": f"{timing}_infusion",
                        },
                        context=TEXT_SOURCE,
                    ),
                )
            )
        except ValidationError as exc:
            errors[field] = next(iter(errors_by_field(exc, AssessmentCreate).values()))
    return scores
