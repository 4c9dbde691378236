"""Plain statements sent straight to the database driver, in the session's transaction: the
reads, checks and writes every write request makes.

A statement through the ORM cost a web worker 370-500 us of CPU, through SQLAlchemy's Core
200-300 us, through the driver's own cursor 80-120 us (docs/write-profile.md, round nine);
a booking sends a dozen. The SQL is written once with `:name` parameters, for both
databases; on SQLite, whose driver hands dates, times and instants back as the text
stored, the columns named in `dates`, `times` and `instants` are read back as such (an
instant as aware UTC on either database). `insert`, `update` and `loaded` keep the rows
they write or read in the session, as if the ORM had.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar, cast

from psycopg.pq import ExecStatus
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class, set_committed_value
from sqlmodel import Session, SQLModel

from tracker.store.types import UTCDateTime

M = TypeVar("M", bound=SQLModel)
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=512)
def _for_psycopg(sql: str) -> str:
    # psycopg's named parameters are %(name)s; a literal % would have to be doubled.
    if "%" in sql:
        raise ValueError("plain SQL for psycopg must not hold a literal %")
    return _NAMED.sub(r"%(\1)s", sql)


def rows(
    session: Session,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    dates: Sequence[int] = (),
    times: Sequence[int] = (),
    instants: Sequence[int] = (),
    alone: bool = False,
) -> list[tuple[Any, ...]]:
    """The statement's rows as tuples (dates, times and instants, aware UTC, as such on
    either database).

    `alone`: on PostgreSQL, where the session's transaction has sent nothing yet, the
    statement runs as a transaction of its own (it holds nothing once read)."""
    _autoflush(session)
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    with _cursor(connection, sql, params, alone=alone) as cursor:
        found = cursor.fetchall() if _has_rows(cursor) else []
    if instants:
        found = [_instants(row, instants) for row in found]
    if postgres or not (dates or times):
        return [tuple(row) for row in found]
    return [_typed(row, dates, times) for row in found]


def _has_rows(cursor: Any) -> bool:
    # Whether the statement returned rows (even none). psycopg makes a Column object for
    # each column at every read of `description`; its result's status says as much.
    result = getattr(cursor, "pgresult", None)
    if result is not None:
        return bool(result.status == ExecStatus.TUPLES_OK)
    return cursor.description is not None


def first(
    session: Session,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    dates: Sequence[int] = (),
    times: Sequence[int] = (),
    instants: Sequence[int] = (),
    alone: bool = False,
) -> tuple[Any, ...] | None:
    """The statement's first row, or None (as rows reads them)."""
    found = rows(session, sql, params, dates=dates, times=times, instants=instants, alone=alone)
    return found[0] if found else None


def run(session: Session, sql: str, params: Mapping[str, Any] | None = None) -> int:
    """Run a statement that returns no rows; the number of rows it changed."""
    _autoflush(session)
    with _cursor(session.connection(), sql, params) as cursor:
        return int(cursor.rowcount)


def columns_sql(model: type[SQLModel], alias: str) -> str:
    """Every column of a table model, in order, as `alias.name, ...` (for `loaded`)."""
    return ", ".join(f"{alias}.{name}" for name in _columns(_table(model)))


def column_names(model: type[SQLModel]) -> tuple[str, ...]:
    """A table model's columns, in columns_sql's order."""
    return _columns(_table(model))


def loaded(session: Session, model: type[M], values: Sequence[Any]) -> M:
    """The row read as its ORM object (columns_sql's order), in the session as if the ORM
    had loaded it: changes to it are flushed; one the session holds already is returned
    as it is."""
    table = _table(model)
    held = session.identity_map.get(session.identity_key(model, values[0]))
    if held is not None:
        return cast(M, held)  # the identity map holds this model's row
    sqlite = session.get_bind().dialect.name == "sqlite"
    # Made as the ORM makes a row it loads: no __init__ (SQLModel's checks every field as
    # input, some 150 us for a staff user's row), the values put in the object's dict.
    # Only __init__ would have set the mappers up (their relationships): done here if not.
    configure_mappers()
    row: M = manager_of_class(model).new_instance()
    instance_dict(row).update(
        zip(_columns(table), map(_read, values, _kinds(table, sqlite)), strict=True)
    )
    make_transient_to_detached(row)
    session.add(row)
    return row


def run_rows(session: Session, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run a statement written with the driver's own positional marks (%s for psycopg, ?
    for SQLite) for each of the rows; one row as one statement (psycopg sends a statement
    for many rows in pipeline mode, which costs more than the round trip it saves)."""
    if not rows:
        return
    _autoflush(session)
    one = len(rows) == 1
    with _cursor(
        session.connection(), sql, rows[0] if one else rows, positional=True, many=not one
    ):
        pass


def insert(session: Session, row: SQLModel) -> int:
    """INSERT a new row (its `id` left to the database) and keep it in the session as if
    loaded: its id, set here, and its values are then read without a statement."""
    table: Table = type(row).__table__  # type: ignore[attr-defined]  # a table model
    columns, computed = _insert_columns(table), _computed_columns(table)
    sqlite = session.get_bind().dialect.name == "sqlite"
    values = {name: _bound(getattr(row, name), sqlite) for name in columns}
    found = first(session, _insert_sql(table.name, columns, computed), values)
    assert found is not None  # RETURNING id and the columns the database computes
    row.id = found[0]
    for name, value in zip(computed, found[1:], strict=True):
        setattr(row, name, value)
    make_transient_to_detached(row)
    session.add(row)
    return int(found[0])


def update(session: Session, row: SQLModel, changes: Mapping[str, Any]) -> None:
    """UPDATE a loaded row's columns to these values, and the object with them, as saved
    (nothing left for the unit of work to flush)."""
    table = _table(type(row))
    sqlite = session.get_bind().dialect.name == "sqlite"
    names = tuple(changes)
    values = {name: _bound(changes[name], sqlite) for name in names}
    run(session, _update_sql(table.name, names), {**values, "row_id": row.id})  # type: ignore[attr-defined]
    for name in names:
        set_committed_value(row, name, changes[name])


@lru_cache(maxsize=64)
def _update_sql(name: str, columns: tuple[str, ...]) -> str:
    return f"UPDATE {name} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :row_id"


@lru_cache(maxsize=64)
def _insert_columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.name != "id" and c.computed is None)


@lru_cache(maxsize=64)
def _computed_columns(table: Table) -> tuple[str, ...]:
    # Generated columns (assessment.kind_code): the database refuses a value for them.
    return tuple(c.name for c in table.columns if c.computed is not None)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]  # a table model


@lru_cache(maxsize=64)
def _columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


@lru_cache(maxsize=128)
def _kinds(table: Table, sqlite: bool) -> tuple[str, ...]:
    # How each column's value is read back: instants as aware UTC on either database; on
    # SQLite dates, times and booleans from what the driver gives.
    kinds = []
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            kinds.append("instant")
        elif not sqlite:
            kinds.append("")
        else:
            try:
                python = column.type.python_type
            except NotImplementedError:  # a type with no one Python type (JSON): as read
                python = object
            kinds.append(
                "date"
                if python is date
                else "time"
                if python is time
                else "bool"
                if python is bool
                else ""
            )
    return tuple(kinds)


def _read(value: Any, kind: str) -> Any:
    if value is None or not kind:
        return value
    if kind == "instant":
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not isinstance(value, str):
        return bool(value) if kind == "bool" else value
    return date.fromisoformat(value[:10]) if kind == "date" else time.fromisoformat(value)


@lru_cache(maxsize=64)
def _insert_sql(name: str, columns: tuple[str, ...], computed: tuple[str, ...] = ()) -> str:
    return (
        f"INSERT INTO {name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)}) RETURNING {', '.join(('id', *computed))}"
    )


def _bound(value: Any, sqlite: bool) -> Any:
    # As SQLAlchemy's types store them: an enum member as its value; on SQLite an instant
    # as naive UTC text (store.types.UTCDateTime) and a time as HH:MM:SS.ffffff text.
    if isinstance(value, Enum):
        return value.value
    if not sqlite:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC instant column")
        return (
            value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        )
    if isinstance(value, time):
        return value.isoformat(timespec="microseconds")
    return value


class _cursor:
    """The driver's cursor with the statement run; the driver's errors as SQLAlchemy's
    (IntegrityError, OperationalError...), as the callers and the app expect them."""

    def __init__(
        self,
        connection: Any,
        sql: str,
        params: Mapping[str, Any] | Sequence[Any] | None,
        *,
        alone: bool = False,
        positional: bool = False,
        many: bool = False,
    ) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.dbapi = connection.dialect.dbapi
        self.raw: Any = connection.connection.dbapi_connection
        # `positional`: the driver's own marks, one row of values or (`many`) a sequence
        self.sql = _for_psycopg(sql) if self.postgres and not positional else sql
        self.params = params or {}
        self.many = many
        # psycopg begins a transaction before the first statement (a round trip of its
        # own, and one more to commit it); with autocommit on for this one statement, it
        # is its own transaction, ended once answered.
        self.alone = alone and self.postgres and _idle(self.raw)

    def __enter__(self) -> Any:
        self.cursor = self.raw.cursor()
        try:
            # The engine's own checks on each statement (SQLite: refusing a write in a read
            # scope, store.connect) see these too; the app has none on PostgreSQL.
            listeners = self.connection.dispatch.before_cursor_execute
            if listeners:
                listeners(self.connection, self.cursor, self.sql, self.params, None, self.many)
            self._execute()
        except BaseException:
            self.cursor.close()
            raise
        return self.cursor

    def _execute(self) -> None:
        if self.alone:
            self.raw.autocommit = True
        try:
            if self.many:
                self.cursor.executemany(self.sql, self.params)
            else:
                self.cursor.execute(self.sql, self.params)
        except self.dbapi.Error as exc:
            raise DBAPIError.instance(self.sql, self.params, exc, self.dbapi.Error) from exc
        finally:
            if self.alone:
                self.raw.autocommit = False

    def __exit__(self, *exc_info: object) -> None:
        self.cursor.close()


def in_list(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """`IN (...)` SQL for a list of values, and its parameters (`name0`, `name1`, ...)."""
    params = {f"{name}{n}": value for n, value in enumerate(values)}
    if not params:
        return "IN (NULL)", {}
    return "IN (" + ", ".join(f":{key}" for key in params) + ")", params


def _instants(row: Sequence[Any], columns: Sequence[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in columns:
        values[i] = _read(values[i], "instant")
    return tuple(values)


def _typed(row: Sequence[Any], dates: Sequence[int], times: Sequence[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in dates:
        if isinstance(values[i], str):
            values[i] = date.fromisoformat(values[i][:10])
    for i in times:
        if isinstance(values[i], str):
            values[i] = time.fromisoformat(values[i])
    return tuple(values)


def _autoflush(session: Session) -> None:
    # As the ORM does before its own statements: changes made to the session's objects and
    # not yet sent are sent first, so that a plain statement sees them (nothing is sent,
    # and next to nothing spent, when there are none).
    if session.autoflush:
        session.flush()


def _idle(raw: Any) -> bool:
    # psycopg's connection, outside any transaction and not in autocommit already.
    from psycopg.pq import TransactionStatus

    return not raw.autocommit and raw.info.transaction_status == TransactionStatus.IDLE


def in_transaction(session: Session) -> bool:
    """Whether the session's PostgreSQL connection has a transaction open on the server
    (True on SQLite, whose scope begins its own)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return True
    return not _idle(connection.connection.dbapi_connection)
