"""The worklist: one indexed query over each patient's stored evaluation."""

import threading
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    and_,
    bindparam,
    case,
    event,
    false,
    func,
    or_,
)
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from tracker.rules.vocabulary import Action, FlagCode, PatientStatus, WorklistTab, codes
from tracker.services import state_version
from tracker.services.errors import Invalid
from tracker.services.name_search import name_condition, search_text
from tracker.store.models import OutboxMessage, Patient, PatientState

FLAG_CODES = codes(FlagCode)
ACTIONS = codes(Action)
_COUNTS = "worklist_view_counts"  # session.info key of the counts memo
# The funding tabs list the patients by the day their flag's cause bites, soonest first: an
# authorisation's end or projected exhaustion, the first course no authorisation covers.
BITE_DAYS: dict[str, Any] = {
    FlagCode.AUTHORIZATION_ENDING: PatientState.authorization_ending_on,
    FlagCode.AUTHORIZATION_MISSING: PatientState.authorization_missing_on,
}


# The worklist's statements are built once, with the day, the page's bounds and its
# patients bound at each call: building and keying them anew for every request took a fifth
# of the workers' CPU with eight clients on the worklist (docs/write-profile.md, round four).
_DAY = bindparam("day", type_=Date)
_WEEK_END = bindparam("week_end", type_=Date)  # the booked-this-week tab's last day
_LIMIT = bindparam("limit", type_=Integer)
_OFFSET = bindparam("offset", type_=Integer)
_FIRST = bindparam("first", type_=Integer)  # limit + offset


# The booked-this-week tab: the day and the six after it.
_WEEK_AFTER = timedelta(days=6)


def _bound(on: date) -> dict[str, date]:
    return {"day": on, "week_end": on + _WEEK_AFTER}


def flag_conditions(
    day: date | ColumnElement[date], *, only_active: bool = True
) -> dict[str, ColumnElement[bool]]:
    """Each flag as a SQL condition on the stored state for `day` (the one definition).

    Every flag is off for a patient who is not active; `only_active=False` leaves that test
    out, for a query that keeps to active patients already. `day` is a date, or the
    worklist's bound day.
    """
    s = PatientState
    active = (s.status == PatientStatus.ACTIVE,) if only_active else ()
    conditions = {
        FlagCode.OVERDUE: and_(*active, s.overdue_from <= day),
        FlagCode.NEEDS_BOOKING: and_(
            *active,
            s.needs_booking_from <= day,
            or_(s.last_booking_on.is_(None), s.last_booking_on < day),
        ),
        FlagCode.BOOKING_OUTSIDE_WINDOW: and_(
            *active,
            s.next_booking_on >= day,
            or_(s.next_booking_on < s.window_start, s.next_booking_on > s.window_end),
        ),
        FlagCode.WANING_RESPONSE: and_(*active, s.waning_patterns.is_not(None)),
        FlagCode.REFRACTORY: and_(*active, s.refractory_detail.is_not(None)),
        FlagCode.NO_RESPONSE: and_(*active, s.no_response_detail.is_not(None)),
        FlagCode.REVIEW_DUE: and_(*active, s.review_due_from <= day),
        FlagCode.WEIGHT_STALE: and_(*active, s.weight_stale_from <= day),
        # Kept as evaluated (the projection depends on the day): the sweep refreshes them.
        FlagCode.AUTHORIZATION_ENDING: and_(*active, s.authorization_ending_on.is_not(None)),
        FlagCode.AUTHORIZATION_MISSING: and_(*active, s.authorization_missing_on.is_not(None)),
    }
    # In the vocabulary's order, which is the order the flags are shown in.
    return {str(code): conditions[code] for code in FlagCode}


def _has_action(only_active: bool = True) -> ColumnElement[bool]:
    active = (PatientState.status == PatientStatus.ACTIVE,) if only_active else ()
    return and_(*active, PatientState.recommendation_action.is_not(None))


def view_conditions(
    day: date | ColumnElement[date],
    *,
    only_active: bool = True,
    week_end: date | ColumnElement[date] | None = None,
) -> dict[str, Any]:
    """The worklist's tabs as SQL conditions: every flag, plus bookings and actions (all of
    them only for active patients; `only_active` as for flag_conditions; `week_end`, given
    with a bound day, the last day of the booked-this-week tab)."""
    s = PatientState
    active = (s.status == PatientStatus.ACTIVE,) if only_active else ()
    flags = flag_conditions(day, only_active=only_active)
    has_action = _has_action(only_active)
    return {
        WorklistTab.ALL: or_(has_action, *flags.values()),
        **flags,
        WorklistTab.BOOKED_THIS_WEEK: and_(
            *active,
            s.next_booking_on >= day,
            s.next_booking_on <= (day + _WEEK_AFTER if week_end is None else week_end),
        ),
        WorklistTab.TAPER_CANDIDATES: and_(
            has_action,
            s.recommendation_action.in_((Action.CONSIDER_TAPER, Action.CONSIDER_TRIAL_OFF)),
        ),
        WorklistTab.RECOMMENDATIONS: has_action,
    }


def view_counts(session: Session, *, on: date) -> dict[str, int]:
    """How many patients each tab holds on day `on` (counted once per version of the states)."""
    # The worklist page asks for the counts and for its own total, which is one of them:
    # at 100,000 patients each is a scan of every state, so the first answer is kept for
    # the rest of the transaction (until something is flushed or it ends), and across
    # requests in this worker while the states' version token is unchanged.
    memo = session.info.setdefault(_COUNTS, {})
    if on not in memo:
        memo[on] = _kept_counts(session, on)
    return dict(memo[on])


# (database, day) -> (states' version token, counts). A few days are kept: the worklist is
# asked for today mostly, the API for any day.
_KEPT: dict[tuple[str, date], tuple[str, dict[str, int]]] = {}
_KEPT_DAYS = 16
_KEPT_LOCK = threading.Lock()


def _kept_counts(session: Session, on: date) -> dict[str, int]:
    if state_version.changed_here(session):
        # This transaction's own writes are in what it counts: never keep that for others.
        return _count_views(session, on)
    # The token is read before the counts: a change committed in between is then counted
    # under the older token, which the next reader no longer sees, never the reverse.
    token = state_version.current_token(session)
    key = (str(session.get_bind().engine.url), on)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] == token:
        return kept[1]
    counts = _count_views(session, on)
    with _KEPT_LOCK:
        if len(_KEPT) >= _KEPT_DAYS:
            _KEPT.clear()
        _KEPT[key] = (token, counts)
    return counts


# Every tab is of active patients only: that test is made once, not once per tab.
_VIEWS = view_conditions(_DAY, only_active=False, week_end=_WEEK_END)
_COUNT_VIEWS = select(
    *[func.count().filter(cond).label(name) for name, cond in _VIEWS.items()]
).where(PatientState.status == PatientStatus.ACTIVE)


def _count_views(session: Session, on: date) -> dict[str, int]:
    row: Any = session.exec(_COUNT_VIEWS, params=_bound(on)).one()  # Any: as one column
    return dict(zip(_VIEWS, (int(v) for v in row), strict=True))


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_counts(session: Session, *_args: object) -> None:
    session.info.pop(_COUNTS, None)


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
) -> tuple[int, list[dict[str, Any]]]:
    """Patients with something to do on day `on`, most urgent first: (total, one page)."""
    if flag is not None and flag not in FLAG_CODES:
        raise Invalid(f"flag must be one of {', '.join(FLAG_CODES)}", field="flag")
    if action is not None and action not in ACTIONS:
        raise Invalid(f"action must be one of {', '.join(ACTIONS)}", field="action")
    if view is not None and view not in _VIEWS:
        raise Invalid(f"view must be one of {', '.join(_VIEWS)}", field="view")
    listing = _listing(flag, action, view)
    params: dict[str, Any] = {
        **_bound(on),
        "limit": limit,
        "offset": offset,
        "first": limit + offset,
    }
    needle = search_text(query)
    if needle:
        # A search's condition holds the words searched: built for each search.
        where = and_(listing.where, name_condition(session, needle, whole_names=False))
        matching = select(PatientState.patient_id).where(where)
        matching = matching.join(Patient, Patient.id == PatientState.patient_id)
        pages = _pages(matching, listing.order)
        counted = select(func.count()).select_from(matching.subquery())
        total = session.exec(counted, params=params).one()
    elif listing.tab is not None:
        pages = listing.pages
        total = view_counts(session, on=on)[listing.tab]  # the tab's count is the total
    else:
        pages = listing.pages
        total = session.exec(listing.counted, params=params).one()
    ids = _page_ids(session, pages, params, limit=limit, offset=offset)
    found = (
        {row[0].patient_id: row for row in session.exec(_PAGE_ROWS, params={**params, "ids": ids})}
        if ids
        else {}
    )
    return total, [_item(found[pid]) for pid in ids]


class _Pages(NamedTuple):
    """The statements that read a page of patient ids (limit and offset bound)."""

    overdue: SelectOfScalar[int] | None  # the overdue alone (None: a tab with its own order)
    ranked: SelectOfScalar[int]  # every match, most urgent first, or in the tab's order


class _Listing(NamedTuple):
    """A tab, flag or action of the worklist: its condition and statements, day bound."""

    tab: str | None  # the tab whose count is the total (None: an action's list)
    where: ColumnElement[bool]
    order: tuple[Any, ...] | None  # a tab with an order of its own
    pages: _Pages
    counted: SelectOfScalar[int]  # how many match (for an action's list)


# Each flag and tab on the bound day, the urgency they make, and the flags as columns of a
# row.
_FLAGS = flag_conditions(_DAY)
_VIEWS_OF_ACTIVE = view_conditions(_DAY, week_end=_WEEK_END)
_HAS_ACTION = _has_action()
_URGENCY = case(
    (_FLAGS[FlagCode.OVERDUE], 0),
    (_FLAGS[FlagCode.NEEDS_BOOKING], 1),
    (_FLAGS[FlagCode.BOOKING_OUTSIDE_WINDOW], 2),
    (_FLAGS[FlagCode.AUTHORIZATION_MISSING], 2),
    (_FLAGS[FlagCode.WANING_RESPONSE], 3),
    (_FLAGS[FlagCode.NO_RESPONSE], 3),
    (_HAS_ACTION, 4),
    (_FLAGS[FlagCode.REVIEW_DUE], 5),
    (_FLAGS[FlagCode.AUTHORIZATION_ENDING], 5),
    else_=6,
)
# By window end (none last), then id: the order of ix_state_window_end on PostgreSQL, so
# that the overdue, whose windows ended first, are read off its start.
_WITHIN = (PatientState.window_end.asc().nulls_last(), PatientState.patient_id)
# Sort and cut the page on the states alone, then read the page's few patients: joining
# every matching state to its patient first cost more than the rest of the query.
_PAGE_ROWS = (
    select(
        PatientState,
        Patient.mrn,
        Patient.given_name,
        Patient.family_name,
        *[case((cond, True), else_=false()).label(code) for code, cond in _FLAGS.items()],
    )
    .join(Patient, Patient.id == PatientState.patient_id)
    .where(PatientState.patient_id.in_(bindparam("ids", expanding=True)))
)


@lru_cache(maxsize=64)
def _listing(flag: str | None, action: str | None, view: str | None) -> _Listing:
    # Called with a known flag, action or view only (a few dozen in all).
    tab: str | None
    order = None
    if flag is not None:
        where, tab = _FLAGS[flag], flag
    elif action is not None:
        where, tab = and_(_HAS_ACTION, PatientState.recommendation_action == action), None
    elif view is not None:
        where, tab = _VIEWS_OF_ACTIVE[view], view
    else:
        where, tab = or_(_HAS_ACTION, *_FLAGS.values()), WorklistTab.ALL
    bite = BITE_DAYS.get(str(tab)) if tab is not None else None
    if bite is not None:
        order = (bite, PatientState.patient_id)
    matching = select(PatientState.patient_id).where(where)
    return _Listing(
        tab=tab,
        where=where,
        order=order,
        pages=_pages(matching, order),
        counted=select(func.count()).select_from(matching.subquery()),
    )


def _pages(matching: SelectOfScalar[int], order: tuple[Any, ...] | None) -> _Pages:
    if order is not None:
        return _Pages(None, matching.order_by(*order).limit(_LIMIT).offset(_OFFSET))
    return _Pages(
        matching.where(_FLAGS[FlagCode.OVERDUE]).order_by(*_WITHIN).limit(_FIRST),
        matching.order_by(_URGENCY, *_WITHIN).limit(_LIMIT).offset(_OFFSET),
    )


def _page_ids(
    session: Session, pages: _Pages, params: dict[str, Any], *, limit: int, offset: int
) -> list[int]:
    if pages.overdue is not None:
        # Overdue comes first (urgency 0), and the overdue are few and indexed: when they
        # fill the page it is read from them alone, without ranking every other match.
        first = list(session.exec(pages.overdue, params=params).all())
        if len(first) == limit + offset:
            return first[offset:]
    return list(session.exec(pages.ranked, params=params).all())


def _item(row: Sequence[Any]) -> dict[str, Any]:
    state, mrn, given, family, *flags = row
    shown = [code for code, on in zip(FLAG_CODES, flags, strict=True) if on]
    active = state.status == PatientStatus.ACTIVE
    return {
        "patient_id": state.patient_id,
        "mrn": mrn,
        "name": f"{family}, {given}",
        "due_on": state.due_on,
        "window_start": state.window_start,
        "window_end": state.window_end,
        "next_booking_on": state.next_booking_on,
        # The days the funding flags' causes bite (None while off), for the funding tabs.
        "authorization_ending_on": state.authorization_ending_on if active else None,
        "authorization_missing_on": state.authorization_missing_on if active else None,
        "flags": [
            {"code": c, "patterns": state.waning_patterns.split(",")}
            if c == FlagCode.WANING_RESPONSE
            else {"code": c}
            for c in shown
        ],
        "recommendation": None
        if state.recommendation_action is None or state.status != PatientStatus.ACTIVE
        else {
            "action": state.recommendation_action,
            "proposed_interval_days": state.proposed_interval_days,
            "proposed_dose_g_per_kg": state.proposed_dose_g_per_kg,
            "reason": state.recommendation_reason or "",
        },
    }


_FAILED_EMAILS = (
    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "failed")
)


def failed_email_count(session: Session) -> int:
    """How many e-mails the outbox gave up on."""
    return session.exec(_FAILED_EMAILS).one()
