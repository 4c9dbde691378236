"""The worklist: one indexed query over each patient's stored evaluation."""

from datetime import date, timedelta

from sqlalchemy import and_, case, false, func, literal, or_
from sqlmodel import Session, select

from tracker.services.errors import Invalid
from tracker.store.models import OutboxMessage, Patient, PatientState

FLAG_CODES = (
    "overdue",
    "needs_booking",
    "booking_outside_window",
    "waning_response",
    "review_due",
    "weight_stale",
)
ACTIONS = ("escalate_dose", "shorten_interval", "max_dose_reached", "consider_taper")


def flag_conditions(day: date) -> dict:
    """Each flag as a SQL condition on the stored state for `day` (the one definition)."""
    s = PatientState
    active = s.status == "active"
    return {
        "overdue": and_(active, s.overdue_from <= day),
        "needs_booking": and_(
            active,
            s.needs_booking_from <= day,
            or_(s.last_booking_on.is_(None), s.last_booking_on < day),
        ),
        "booking_outside_window": and_(
            active,
            s.next_booking_on >= day,
            or_(s.next_booking_on < s.window_start, s.next_booking_on > s.window_end),
        ),
        "waning_response": and_(active, s.waning_patterns.is_not(None)),
        "review_due": and_(active, s.review_due_from <= day),
        "weight_stale": and_(active, s.weight_stale_from <= day),
    }


def _has_action():
    return and_(PatientState.status == "active", PatientState.recommendation_action.is_not(None))


def view_conditions(day: date) -> dict:
    """The worklist's tabs as SQL conditions: every flag, plus bookings and actions."""
    s = PatientState
    flags = flag_conditions(day)
    return {
        "all": or_(_has_action(), *flags.values()),
        **flags,
        "booked_this_week": and_(s.status == "active", s.next_booking_on >= day,
                                 s.next_booking_on <= day + timedelta(days=6)),
        "taper_candidates": and_(_has_action(), s.recommendation_action == "consider_taper"),
        "recommendations": _has_action(),
    }


def view_counts(session: Session, *, on: date) -> dict[str, int]:
    """How many patients each tab holds on day `on` (one query)."""
    views = view_conditions(on)
    row = session.exec(
        select(*[func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name)
                 for name, cond in views.items()])
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
        where = and_(where, or_(func.lower(Patient.mrn).like(like),
                                func.lower(Patient.family_name).like(like),
                                func.lower(Patient.given_name).like(like)))
    urgency = case(
        (conditions["overdue"], 0),
        (conditions["needs_booking"], 1),
        (conditions["booking_outside_window"], 2),
        (conditions["waning_response"], 3),
        (has_action, 4),
        (conditions["review_due"], 5),
        else_=6,
    )
    flag_columns = [case((cond, True), else_=false()).label(code)
                    for code, cond in conditions.items()]
    base = select(PatientState.patient_id).join(Patient, Patient.id == PatientState.patient_id)
    total = session.exec(select(func.count()).select_from(base.where(where).subquery())).one()
    rows = session.exec(
        select(PatientState, Patient.mrn, Patient.given_name, Patient.family_name, *flag_columns)
        .join(Patient, Patient.id == PatientState.patient_id)
        .where(where)
        .order_by(urgency, func.coalesce(PatientState.window_end, literal(date.max)),
                  PatientState.patient_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, [_item(row) for row in rows]


def _item(row) -> dict:
    state, mrn, given, family, *flags = row
    codes = [code for code, on in zip(FLAG_CODES, flags, strict=True) if on]
    return {
        "patient_id": state.patient_id,
        "mrn": mrn,
        "name": f"{family}, {given}",
        "due_on": state.due_on,
        "window_start": state.window_start,
        "window_end": state.window_end,
        "next_booking_on": state.next_booking_on,
        "flags": [
            {"code": c, "patterns": state.waning_patterns.split(",")}
            if c == "waning_response"
            else {"code": c}
            for c in codes
        ],
        "recommendation": None
        if state.recommendation_action is None or state.status != "active"
        else {
            "action": state.recommendation_action,
            "proposed_interval_days": state.proposed_interval_days,
            "proposed_dose_g_per_kg": state.proposed_dose_g_per_kg,
            "reason": state.recommendation_reason or "",
        },
    }


def failed_email_count(session: Session) -> int:
    """How many e-mails the outbox gave up on."""
    return session.exec(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "failed")
    ).one()
