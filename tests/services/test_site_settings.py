"""The site's settings, kept by each worker under a version token, are right at once after
any committed change, whoever makes it (a service, plain SQL from another process), and
never keep what a transaction saw of its own uncommitted or rolled-back change."""

from collections.abc import Iterator
from datetime import date, time

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from tracker.rules.opening import DEFAULT_HOURS, DayHours
from tracker.services import opening, policy, site_settings
from tracker.services.actors import SYSTEM
from tracker.store.engine import make_engine

MONDAY_LATE = DayHours(time(9, 0), time(20, 0))
CLOSED = date(2026, 12, 24)
DEFAULT_HOURS_AS_PAIRS = [(h.opens, h.closes) if h else None for h in DEFAULT_HOURS]


@pytest.fixture
def workers(committed_engine) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database, as two gunicorn workers have: (mine, theirs)."""
    theirs = make_engine(committed_engine.url.render_as_string(hide_password=False))
    yield committed_engine, theirs
    with committed_engine.begin() as connection:  # what wipe() leaves alone
        connection.execute(text("DELETE FROM opening_hours"))
        connection.execute(text("DELETE FROM site_calendar"))
    theirs.dispose()


def _read(engine: Engine) -> site_settings.SiteSettings:
    with Session(engine) as session:
        return site_settings.site_settings(session)


def _statements(engine: Engine) -> list[str]:
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    return sent


def test_kept_settings_cost_one_statement_and_a_change_anywhere_is_seen_at_once(workers):
    mine, theirs = workers
    first = _read(mine)
    assert first.hours == DEFAULT_HOURS and first.closures == {}
    sent = _statements(mine)
    assert _read(mine) is first  # kept: only the token was read
    read = [sql for sql in sent if not sql.startswith("BEGIN")]  # SQLite's own BEGIN
    assert len(read) == 1 and "site_settings_version" in read[0]
    # The other worker changes the hours, then adds a closure with plain SQL.
    with Session(theirs) as session:
        opening.set_opening(
            session,
            actor=SYSTEM,
            hours=[(MONDAY_LATE.opens, MONDAY_LATE.closes), *DEFAULT_HOURS_AS_PAIRS[1:]],
            holiday_country="GB",
        )
        session.commit()
    after_hours = _read(mine)
    assert after_hours.hours[0] == MONDAY_LATE and after_hours.holiday_country == "GB"
    with theirs.begin() as connection:
        connection.execute(
            text("INSERT INTO closure_day (day, reason, created_at) VALUES (:d, 'move', :at)"),
            {"d": CLOSED, "at": "2026-12-01 10:00:00+00:00"},
        )
    assert _read(mine).closures == {CLOSED: "move"}


def test_a_change_is_seen_in_its_own_transaction_and_forgotten_when_rolled_back(workers):
    mine, _ = workers
    before = _read(mine)
    with Session(mine) as session:
        changed = policy.update_policy(session, actor=SYSTEM, changes={"due_tolerance_days": 5})
        # Not flushed yet when read: the read flushes it, and its trigger gives a new token.
        assert policy.load_policy(session) == changed.policy
        assert site_settings.site_settings(session).token != before.token
        session.rollback()
    again = _read(mine)
    assert again.token == before.token and again.policy == before.policy


def test_the_sqlite_and_postgresql_triggers_replace_the_token_on_every_settings_table(workers):
    mine, _ = workers
    statements = [
        "INSERT INTO site_calendar (id, holiday_country, holiday_subdivision, updated_at) "
        "VALUES (1, 'NL', '', '2026-12-01 10:00:00+00:00')",
        "UPDATE site_calendar SET holiday_country = 'GB'",
        "INSERT INTO opening_hours (weekday, updated_at) VALUES (6, '2026-12-01 10:00:00+00:00')",
        "DELETE FROM opening_hours",
        "DELETE FROM site_calendar",
    ]
    seen = {_read(mine).token}
    for statement in statements:
        with mine.begin() as connection:
            connection.execute(text(statement))
        seen.add(_read(mine).token)
    assert len(seen) == len(statements) + 1, "a change left the token as it was"
