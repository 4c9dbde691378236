"""The site's settings that every write reads (the policy, the suite's weekly hours, its
closure days and holiday country), kept by each worker under a version token.

A booking read them in four statements, and every other write and page read the policy in
one. They change a few times a year, from the admin pages. A trigger on each of their tables
replaces the token in `site_settings_version` in the same transaction as the change
(migration 0023), so every reader sees a new token once a change is committed, and a
transaction that changed them sees its own new token at once: a worker reads one token and
reads the settings again only when it differs from the one it kept. The token is random, so
the settings kept under one are those of every transaction that sees it.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlmodel import Session, select

from tracker.rules import PolicyError, SitePolicy
from tracker.rules.opening import DEFAULT_HOURS, DayHours
from tracker.services import plain_sql
from tracker.store.models import ClosureDay, OpeningHours, SiteCalendar, SitePolicyRow

# The policy's own logger, as before the settings were kept here: operators filter on it.
log = logging.getLogger("tracker.services.policy")

# The tables whose rows the settings are read from (each has the token's trigger).
SETTINGS_MODELS = (SitePolicyRow, OpeningHours, ClosureDay, SiteCalendar)


@dataclass(frozen=True)
class SiteSettings:
    """The settings as one token names them."""

    token: str
    policy: SitePolicy = field(default_factory=SitePolicy)
    # Monday first; None = closed that day.
    hours: tuple[DayHours | None, ...] = DEFAULT_HOURS
    holiday_country: str = ""
    holiday_subdivision: str = ""
    # Read-only: one worker's requests share it.
    closures: Mapping[date, str] = field(default_factory=lambda: MappingProxyType({}))


_kept: SiteSettings | None = None


def site_settings(session: Session) -> SiteSettings:
    """The settings as this transaction sees them: one statement when this worker has them
    under the current token, five when it reads them again."""
    global _kept
    pending = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, SETTINGS_MODELS) for obj in pending):
        session.flush()  # its triggers give this transaction's changes a token of their own
    found = plain_sql.first(session, "SELECT token FROM site_settings_version WHERE id = 1")
    token = found[0] if found else None
    kept = _kept
    if token is not None and kept is not None and kept.token == token:
        return kept
    fresh = _read(session, token or "")
    if token is not None:  # no row (a database emptied by hand): read every time
        _kept = fresh
    return fresh


def _read(session: Session, token: str) -> SiteSettings:
    policy_row = session.get(SitePolicyRow, 1)
    calendar = session.get(SiteCalendar, 1)
    return SiteSettings(
        token=token,
        policy=_policy_of(policy_row.values if policy_row else None),
        hours=_week({day.weekday: day for day in session.exec(select(OpeningHours))}),
        holiday_country=calendar.holiday_country if calendar else "",
        holiday_subdivision=calendar.holiday_subdivision if calendar else "",
        closures=MappingProxyType({c.day: c.reason for c in session.exec(select(ClosureDay))}),
    )


def _week(stored: dict[int, OpeningHours]) -> tuple[DayHours | None, ...]:
    # The default for a weekday not stored; a stored day without hours is closed.
    week: list[DayHours | None] = []
    for weekday in range(7):
        row = stored.get(weekday)
        if row is None:
            week.append(DEFAULT_HOURS[weekday])
        elif row.opens is None or row.closes is None:
            week.append(None)
        else:
            week.append(DayHours(row.opens, row.closes))
    return tuple(week)


def _policy_of(values: dict[str, Any] | None) -> SitePolicy:
    # The policy from its stored values (the defaults where nothing was changed).
    if not values:
        return SitePolicy()
    try:
        return SitePolicy.from_dict(values)
    except PolicyError:
        return _policy_without_refused_values(values)


def _policy_without_refused_values(values: dict[str, Any]) -> SitePolicy:
    # A value stored before its range was checked (e.g. a cap of 1e300) would stop every
    # page: the default is used in its place, and the log says so until an admin fixes it.
    kept = dict(values)
    while True:
        try:
            return SitePolicy.from_dict(kept)
        except PolicyError as exc:
            if exc.field not in kept:
                return SitePolicy()
            log.warning(
                "stored site policy %s=%r refused (%s): the default is used",
                exc.field,
                kept.pop(exc.field),
                exc.message,
            )
