"""The worklist queries as first written (one query each, joined throughout): the oracle."""

from datetime import date

from sqlalchemy import and_, case, false, func, literal, or_
from sqlmodel import Session, select

from tracker.services.errors import Invalid
from tracker.services.worklist import (
    ACTIONS,
    BITE_DAYS,
    FLAG_CODES,
    _has_action,
    _item,
    flag_conditions,
    view_conditions,
)
from tracker.store.models import Patient, PatientState


def view_counts(session: Session, *, on: date) -> dict[str, int]:
    """How many patients each tab holds on day `on` (one query)."""
    views = view_conditions(on)
    row = session.exec(
        select(
            *[
                func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name)
                for name, cond in views.items()
            ]
        )
    ).one()
    return dict(zip(views, (int(v) for v in row), strict=True))


def worklist(
    session: Session,
    *,
    on: date,
    flag: str | None = None,
    action: str | None = None,
    view: str | None = None,
    query: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict]]:
    """Patients with something to do on day `on`, most urgent first: (total, one page)."""
    conditions = flag_conditions(on)
    views = view_conditions(on)
    if flag is not None and flag not in conditions:
        raise Invalid(f"flag must be one of {', '.join(FLAG_CODES)}", field="flag")
    if action is not None and action not in ACTIONS:
        raise Invalid(f"action must be one of {', '.join(ACTIONS)}", field="action")
    if view is not None and view not in views:
        raise Invalid(f"view must be one of {', '.join(views)}", field="view")
    has_action = _has_action()
    if flag is not None:
        where = conditions[flag]
    elif action is not None:
        where = and_(has_action, PatientState.recommendation_action == action)
    elif view is not None:
        where = views[view]
    else:
        where = or_(has_action, *conditions.values())
    if query.strip():
        like = f"%{query.strip().lower()}%"
        where = and_(
            where,
            or_(
                func.lower(Patient.mrn).like(like),
                func.lower(Patient.family_name).like(like),
                func.lower(Patient.given_name).like(like),
            ),
        )
    urgency = case(
        (conditions["overdue"], 0),
        (conditions["needs_booking"], 1),
        (conditions["booking_outside_window"], 2),
        (conditions["authorization_missing"], 2),
        (conditions["waning_response"], 3),
        (conditions["no_response"], 3),
        (has_action, 4),
        (conditions["review_due"], 5),
        (conditions["authorization_ending"], 5),
        else_=6,
    )
    flag_columns = [
        case((cond, True), else_=false()).label(code) for code, cond in conditions.items()
    ]
    bite = BITE_DAYS.get(flag or view or "")
    order = (
        (bite, PatientState.patient_id)
        if bite is not None
        else (
            urgency,
            func.coalesce(PatientState.window_end, literal(date.max)),
            PatientState.patient_id,
        )
    )
    base = select(PatientState.patient_id).join(Patient, Patient.id == PatientState.patient_id)
    total = session.exec(select(func.count()).select_from(base.where(where).subquery())).one()
    rows = session.exec(
        select(PatientState, Patient.mrn, Patient.given_name, Patient.family_name, *flag_columns)
        .join(Patient, Patient.id == PatientState.patient_id)
        .where(where)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [_item(row) for row in rows]
