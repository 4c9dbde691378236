"""The sweep's reading of a batch of patients: one row per patient for the long lists.

A patient has some 40 given courses and 150-200 scores for three years of care; at 100,000
patients that is millions of rows, and fetching each as a row object cost more than
evaluating it. So the database packs each patient's course days and scores (in date order,
same-day scores in the order they were recorded) into arrays on PostgreSQL, read in binary,
or into strings on SQLite, split in C. SQLite's batches read each patient's scores from the
pack kept since the last sweep (store.score_packs) where there is one, and read the others'
as strings, handing their packs to the caller to keep (services.score_packs). The queries go
straight to the driver's cursor, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from tracker.rules import (
    AuthorizationFact,
    CourseFact,
    PackedFacts,
    RegimenFact,
    ScoreColumns,
    SitePolicy,
    scores_needed_from,
)
from tracker.rules.vocabulary import CourseStatus
from tracker.store.score_kinds import KIND_BASE, KIND_NAMES
from tracker.store.score_packs import (
    PACK_FORMAT,
    SCORE_PACK_TABLE,
    pack_scores,
    unpack_scores,
)

BOOKED = CourseStatus.BOOKED
SEP = "\x1f"  # between numbers in SQLite's strings
# The same character as a literal in SQLite's SQL: char(31) was called for every field of
# every score and course, 4 to 9% of the two queries' time.
SEP_SQL = "'" + SEP + "'"
NO_TEXT = "''"  # SQL's empty string
# id, status, min and max interval days, and (optional) the day they came back from hold
Patient = Sequence[Any]  # (int, str, int | None, int | None[, date | None])
# A patient's given courses: first day numbers, ids, lengths in days, grams (None: unknown)
GivenColumns = tuple[list[int], list[int], list[int], list[float | None]]


def day_number_sql(column: str, dialect: str) -> str:
    """SQL for a date column as its day number (`date.toordinal()`), on either database."""
    if dialect == "postgresql":
        return f"({column} - DATE '0001-01-01' + 1)"
    return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"


def load_one_packed(
    connection: Connection, patient_id: int, *, today: date, policy: SitePolicy
) -> PackedFacts | None:
    """One patient's PackedFacts for `today`, their own row read with the rest in one
    round trip (every write's re-evaluation); None when there is no such patient."""
    return load_packed(
        connection, [(patient_id,)], today=today, policy=policy, read_patient=True
    ).get(patient_id)


def load_packed(
    connection: Connection,
    patients: Sequence[Patient],
    *,
    today: date,
    policy: SitePolicy,
    read_patient: bool = False,
    fresh_packs: dict[int, bytes] | None = None,
) -> dict[int, PackedFacts]:
    """PackedFacts for evaluating patients on `today`, given as (id, status, min, max), ids
    ascending. When they form every patient id from the first to the last (as a keyset
    batch of the full sweep does, or one patient) the rows are read by that range, else
    by the list of ids (the daily sweep's expired patients). A batch reads only the scores
    that can matter (scores_needed_from); one patient is read in one round trip, with
    their own row when `read_patient` (given then as (id,) alone).

    On SQLite a batch reads its patients' kept score packs; the packs it had to make are
    put in `fresh_packs`, when given, for the caller to keep (score_packs.store_packs)."""
    if not patients:
        return {}
    reader = _Reader(connection.dialect.name, connection.connection.dbapi_connection)
    from_packs: dict[int, ScoreColumns] | None = None  # SQLite's batches: their scores
    alone = len(patients) == 1
    dense = patients[-1][0] - patients[0][0] + 1 == len(patients)
    span = {"lo": patients[0][0], "hi": patients[-1][0]}
    if not dense:
        span.update(reader.member_params([p[0] for p in patients]))
    shape = "one" if alone else "range" if dense else "list"
    # SQLite names each patient's parameters (a list's ids, every batch's score days): its
    # SQL depends on how many there are.
    listed = 0 if alone or reader.postgres else len(patients)
    regimen_sql, fact_sql = _statements(reader.dialect, shape, listed)
    if alone:
        # One patient (the re-evaluation after every write): all of their scores with the
        # regimens, in one round trip, rather than a round trip to ask whether any matter.
        params = {**span, **reader.since_params({patients[0][0]: date.min})}
        own_sql = [_patient_sql(reader.dialect)] if read_patient else []
        found = reader.run(
            [*own_sql, regimen_sql, *fact_sql],
            {**params, **reader.today_param(today)},
            as_one=True,
        )
        if read_patient:
            own_rows = found.pop(0)
            if not own_rows:
                return {}
            pid, status, min_days, max_days, resumed = own_rows[0]
            back_on = None if resumed is None else _date(resumed)
            patients = [(pid, status, min_days, max_days, back_on)]
        regimen_rows, *fact_rows = found
    else:
        (regimen_rows,) = reader.run([regimen_sql], span)
    regimens: dict[int, list[RegimenFact]] = {}
    for pid, rid, starts, dose, interval, dose_g, route in regimen_rows:
        regimens.setdefault(pid, []).append(
            RegimenFact(rid, _date(starts), dose, interval, dose_g, route)
        )
    if not alone:
        since = {
            pid: scores_needed_from(regimens.get(pid, ()), on=today, policy=policy)
            for pid, *_ in patients
        }
        fact_rows = reader.run(
            fact_sql, {**span, **reader.since_params(since), **reader.today_param(today)}
        )
        if not reader.postgres:
            from_packs = reader.scores_from_packs(fact_rows[SCORES], since, fresh_packs)
    (
        booked_rows,
        given_rows,
        score_rows,  # fact_sql[SCORES]
        review_rows,
        weight_rows,
        dismissed_rows,
        authorization_rows,
        later_weight_rows,
    ) = fact_rows
    bookings: dict[int, list[CourseFact]] = {}
    planned: dict[int, list[tuple[int, float]]] = {}
    for pid, cid, starts, days, grams in booked_rows:
        bookings.setdefault(pid, []).append(CourseFact(cid, _date(starts), BOOKED, days))
        if grams is not None:
            planned.setdefault(pid, []).append((cid, grams))
    given = reader.given(given_rows)
    scores = from_packs if from_packs is not None else reader.scores(score_rows)
    reviews: dict[int, list[date]] = {}
    for pid, reviewed in review_rows:
        reviews.setdefault(pid, []).append(_date(reviewed))
    weighed = dict(weight_rows)
    weighed_later = dict(later_weight_rows)
    dismissed: dict[int, set[tuple[int, str]]] = {}
    for pid, rid, action in dismissed_rows:
        dismissed.setdefault(pid, set()).add((rid, action))
    authorizations: dict[int, list[AuthorizationFact]] = {}
    for pid, aid, starts, ends, grams, courses, reference, payer in authorization_rows:
        authorizations.setdefault(pid, []).append(
            AuthorizationFact(aid, _date(starts), _date(ends), grams, courses, reference, payer)
        )
    out: dict[int, PackedFacts] = {}
    no_courses: GivenColumns = ([], [], [], [])
    for pid, status, min_days, max_days, *resumed in patients:
        given_days, given_ids, given_lengths, given_grams = given.get(pid, no_courses)
        funded = authorizations.get(pid, ())
        # Each course's own grams (given, or planned for a booking), only where an
        # authorisation will charge them.
        doses = _known_doses(given_ids, given_grams, planned.get(pid)) if funded else {}
        latest = weighed.get(pid)
        later = weighed_later.get(pid)
        out[pid] = PackedFacts(
            status=status,
            regimens=tuple(regimens.get(pid, ())),
            given_days=given_days,
            given_ids=given_ids,
            given_lengths=given_lengths,
            bookings=tuple(bookings.get(pid, ())),
            scores=scores.get(pid) or ScoreColumns(),
            review_dates=tuple(sorted(reviews.get(pid, ()))),
            weight_dates=() if latest is None else (_date(latest),),
            min_interval_days=min_days,
            max_interval_days=max_days,
            dismissed=frozenset(dismissed.get(pid, ())),
            resumed_on=resumed[0] if resumed else None,
            authorizations=tuple(funded),
            course_doses=doses,
            next_weight_on=None if later is None else _date(later),
        )
    return out


SCORES = 2  # where the scores' query is among a batch's fact queries


def stale_packs(connection: Connection, patient_ids: Sequence[int]) -> set[int]:
    """SQLite: those of these patients whose kept score pack is not their scores as they
    are now (none, while the triggers hold); on PostgreSQL, which keeps none, no one."""
    if connection.dialect.name != "sqlite" or not patient_ids:
        return set()
    reader = _Reader("sqlite", connection.connection.dbapi_connection)
    reader.members = "WHERE patient_id " + reader.members_sql(len(patient_ids))
    (kept_rows,) = reader.run([reader.kept_packs_sql()], reader.member_params(list(patient_ids)))
    kept = dict(kept_rows)
    now = reader.all_scores(list(kept)) if kept else {}
    # A patient without scores has an empty pack.
    empty = unpack_scores(pack_scores(ScoreColumns()))
    return {pid for pid, pack in kept.items() if unpack_scores(pack) != now.get(pid, empty)}


@lru_cache(maxsize=64)
def _statements(dialect: str, shape: str, listed: int) -> tuple[str, tuple[str, ...]]:
    """The regimens' query and the facts' queries of a batch: of one patient, of a range
    of ids, or of a list (of `listed` patients on SQLite, else 0). Built once: a write's
    re-evaluation built its SQL anew each time, a tenth of its read's CPU."""
    reader = _Reader(dialect)
    day = reader.day
    # One patient by equality: PostgreSQL plans a prepared `=` once (a generic plan), where
    # a range's estimate depends on its values and was planned again at every write.
    between = "WHERE patient_id " + (
        "= :lo"
        if shape == "one"
        else "BETWEEN :lo AND :hi"
        if shape == "range"
        else reader.members_sql(listed)
    )
    reader.members = between
    regimen_sql = (
        f"SELECT patient_id, id, {day('starts_on')}, dose_g_per_kg, interval_days, dose_g, "
        f"route FROM regimen {between}"
    )
    fact_sql = (
        f"SELECT patient_id, id, {day('scheduled_on')}, days, planned_dose_g FROM infusion "
        f"{between} AND status = 'booked'",
        reader.given_sql(),
        reader.one_patients_scores_sql()
        if shape == "one"
        else reader.scores_sql(listed)
        if reader.postgres
        else reader.kept_packs_sql(),
        f"SELECT patient_id, {day('reviewed_on')} FROM review {between}",
        # Only a weight on or before the day evaluated counts (a later one is ignored).
        f"SELECT patient_id, max({day('measured_on')}) FROM weight {between} "
        "AND measured_on <= :today GROUP BY patient_id",
        f"SELECT patient_id, regimen_id, action FROM recommendation_decision {between} "
        "AND decision = 'dismissed'",
        f"SELECT patient_id, id, {day('starts_on')}, {day('ends_on')}, approved_g, "
        f"approved_courses, reference, payer FROM funding_authorization {between} "
        "ORDER BY patient_id, starts_on, id",
        # The first weight after the day: not evaluated, but its day ends the state's
        # validity (rules.expiry).
        f"SELECT patient_id, min({day('measured_on')}) FROM weight {between} "
        "AND measured_on > :today GROUP BY patient_id",
    )
    return regimen_sql, fact_sql


@lru_cache(maxsize=2)
def _patient_sql(dialect: str) -> str:
    # A patient's own facts, as load_packed takes them (the day they came back as its number).
    resumed = day_number_sql("resumed_on", dialect)
    return (
        f"SELECT id, status, min_interval_days, max_interval_days, {resumed} FROM patient "
        "WHERE id = :lo"
    )


def _known_doses(
    ids: list[int], grams: list[float | None], planned: list[tuple[int, float]] | None
) -> dict[int, float]:
    """Course id -> grams of the courses whose grams are known (given, then planned)."""
    # Made whole from the two columns when every given course's grams are known (most
    # patients), with no Python step per course.
    if None not in grams:
        doses: dict[int, float] = dict(zip(ids, grams, strict=True))  # type: ignore[arg-type]
    else:
        doses = {cid: g for cid, g in zip(ids, grams, strict=True) if g is not None}
    if planned:
        doses.update(planned)
    return doses


class _Reader:
    """The batch's queries on the driver's own cursor: on PostgreSQL sent all at once (one
    round trip, in pipeline mode; one patient's as one statement) with binary results."""

    def __init__(self, dialect: str, raw: Any = None) -> None:
        self.dialect = dialect
        # sqlite3's or psycopg's own connection (None: for building SQL only): each branch
        # below speaks its driver's API.
        self.raw = raw
        self.postgres = dialect == "postgresql"
        self.members = "WHERE patient_id BETWEEN :lo AND :hi"

    def member_params(self, ids: list[int]) -> dict[str, Any]:
        """The parameters members_sql names (as since_params gives them too)."""
        if self.postgres:
            return {"ids": ids}
        return {f"p{n}": pid for n, pid in enumerate(ids)}

    def members_sql(self, patients: int) -> str:
        """The batch's patients as a list (the same parameters as the scores' query)."""
        if self.postgres:
            return "= ANY(%(ids)s::int4[])"
        return "IN (" + ", ".join(f":p{n}" for n in range(patients)) + ")"

    def day(self, column: str) -> str:
        return day_number_sql(column, self.dialect)

    def run(
        self, queries: Sequence[str], params: dict[str, Any], *, as_one: bool = False
    ) -> list[list[Any]]:
        """Run the queries, in one round trip on PostgreSQL; their rows, in order. With
        `as_one` (a few rows each, one patient's) PostgreSQL runs them as one statement."""
        if not self.postgres:
            cursor = self.raw.cursor()
            try:
                return [cursor.execute(sql, params).fetchall() for sql in queries]
            finally:
                cursor.close()
        if as_one:
            return self._run_as_one(queries, params)
        queries = [_psycopg_marks(sql) for sql in queries]
        cursors = [self.raw.cursor(binary=True) for _ in queries]
        with self.raw.pipeline():
            for cursor, sql in zip(cursors, queries, strict=True):
                cursor.execute(sql, params)
        try:
            return [cursor.fetchall() for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()

    def _run_as_one(self, queries: Sequence[str], params: dict[str, Any]) -> list[list[Any]]:
        # A statement each cost the driver and the server more than the few rows they read
        # (docs/write-profile.md, round ten).
        sql, widths = _as_one(tuple(queries))
        with self.raw.cursor(binary=True) as cursor:
            row = cursor.execute(sql, params).fetchone()
        found, at = [], 0
        for width in widths:
            columns = row[at : at + width]
            at += width
            found.append([] if columns[0] is None else list(zip(*columns, strict=True)))
        return found

    def given_sql(self) -> str:
        # Each patient's given courses as day numbers, ids, lengths in days and grams given
        # (in no particular order, but the four lists in the same one).
        day = self.day("scheduled_on")
        where = f"{self.members} AND status = 'given'"
        if self.postgres:
            return (
                f"SELECT patient_id, array_agg({day}), array_agg(id), array_agg(days), "
                f"array_agg(dose_g) FROM infusion {where} GROUP BY patient_id"
            )
        # SQLite: the four of each course in one string, kept together; the day as its ISO
        # text (DAY_NUMBERS), no dose an empty field.
        return (
            f"SELECT patient_id, group_concat(x, {SEP_SQL}) FROM (SELECT patient_id, "
            f"scheduled_on || {SEP_SQL} || id || {SEP_SQL} || days || {SEP_SQL} || "
            f"{_exact_text('dose_g', if_null=NO_TEXT)} AS x "
            "FROM infusion "
            f"{where}) GROUP BY patient_id"
        )

    def given(self, rows: Iterable[Any]) -> dict[int, GivenColumns]:
        if self.postgres:
            return {pid: (days, ids, lengths, grams) for pid, days, ids, lengths, grams in rows}
        out: dict[int, GivenColumns] = {}
        for pid, packed in rows:
            fields = packed.split(SEP)
            grams = fields[3::4]
            out[pid] = (
                list(map(DAY_NUMBERS.__getitem__, fields[0::4])),
                list(map(int, fields[1::4])),
                list(map(int, fields[2::4])),
                # Most patients' every course has its grams: converted in C when so.
                [float(g) if g else None for g in grams]
                if "" in grams
                else list(map(float, grams)),
            )
        return out

    def today_param(self, today: date) -> dict[str, Any]:
        """The day evaluated, as a parameter."""
        return {"today": today if self.postgres else today.isoformat()}

    def since_params(self, since: dict[int, date]) -> dict[str, Any]:
        """The patients and the day each one's scores are read from, as parameters."""
        if self.postgres:
            return {"ids": list(since), "since": list(since.values())}
        params: dict[str, Any] = {}
        for n, (pid, day) in enumerate(since.items()):
            params[f"p{n}"], params[f"s{n}"] = pid, day.isoformat()
        return params

    def one_patients_scores_sql(self) -> str:
        # As scores_sql, for one patient and all of their scores (load_packed): on
        # PostgreSQL without the list of patients, which made each write's plan anew.
        if not self.postgres:
            return self.scores_sql(1)
        return (
            "SELECT o.patient_id, array_agg(o.day), array_agg(o.value), string_agg(o.kind, '') "
            f"FROM ({self._scores_in_order('a.patient_id = :lo')}) AS o GROUP BY o.patient_id"
        )

    def _scores_in_order(self, where: str) -> str:
        # PostgreSQL: the scores by day, then as recorded (id), for aggregates that keep the
        # order of their input. An aggregate over a sorted subquery and nothing else takes
        # its rows in that order (PostgreSQL's documented way besides ORDER BY in each
        # aggregate); one sort rather than the three that ORDER BY in each of the three
        # aggregates makes (PostgreSQL 15 sorts each aggregate's input anew): 165 to 200 us
        # of the server's time for a patient's 180 scores against 240 to 310.
        day, kind = self.day("a.taken_on"), _kind_char("chr")
        return (
            f"SELECT a.patient_id, {day} AS day, a.value, {kind} AS kind FROM assessment a "
            f"WHERE {where} ORDER BY a.taken_on, a.id"
        )

    def scores_sql(self, patients: int) -> str:
        # Each patient's scores from their first relevant day, by day and then as recorded
        # (id): day numbers, values and one kind character per score.
        if self.postgres:
            # One aggregate per patient (LATERAL) rather than one GROUP BY over the batch:
            # the batch's rows are not sorted all together (that spilled to disk).
            in_order = self._scores_in_order("a.patient_id = h.pid AND a.taken_on >= h.since")
            return (
                "SELECT h.pid, s.days, s.scores, s.kinds FROM unnest(%(ids)s::int4[], "
                "%(since)s::date[]) AS h(pid, since) CROSS JOIN LATERAL (SELECT "
                "array_agg(o.day) AS days, array_agg(o.value) AS scores, "
                f"string_agg(o.kind, '') AS kinds FROM ({in_order}) AS o) AS s "
                "WHERE s.days IS NOT NULL"
            )
        # SQLite before 3.44 has no ORDER BY inside group_concat: an ordered subquery per
        # patient feeds it in order (the index on (patient_id, taken_on) yields rows by day,
        # then rowid). Day (its ISO text: DAY_NUMBERS), value (_exact_text) and kind of each
        # score go in one string, read once.
        kind = _kind_char("char")
        rows = ", ".join(f"(:p{n}, :s{n})" for n in range(patients))
        return (
            f"WITH h(pid, since) AS (VALUES {rows}) SELECT h.pid, "
            f"(SELECT group_concat(x, {SEP_SQL}) FROM (SELECT a.taken_on || {SEP_SQL} || "
            f"{_exact_text('a.value')} || {SEP_SQL} || {kind} AS x FROM assessment a "
            "WHERE a.patient_id = h.pid AND a.taken_on >= h.since ORDER BY a.taken_on, a.id)) "
            "FROM h"
        )

    def kept_packs_sql(self) -> str:
        # SQLite: the batch's kept score packs of the current format.
        return (
            f"SELECT patient_id, scores FROM {SCORE_PACK_TABLE} {self.members} "
            f"AND format = {PACK_FORMAT}"
        )

    def scores_from_packs(
        self,
        kept: Iterable[tuple[int, bytes]],
        since: dict[int, date],
        fresh: dict[int, bytes] | None,
    ) -> dict[int, ScoreColumns]:
        """SQLite: the scores of the batch's patients whose scores can matter, from their
        kept packs, or else read now (all of them, so that the pack serves any later day
        too) with their new packs added to `fresh`."""
        packs = dict(kept)
        # A score before a patient's `since` changes nothing (scores_needed_from), so a pack
        # of all of them serves; a patient whose scores cannot matter gets none.
        wanted = [pid for pid, day in since.items() if day != date.max]
        missing = [pid for pid in wanted if pid not in packs]
        read: dict[int, ScoreColumns] = {}
        if missing:
            read = self.all_scores(missing)
            if fresh is not None:
                # A patient with no score keeps an empty pack, not a read at every sweep.
                none = ScoreColumns()
                fresh.update((pid, pack_scores(read.get(pid, none))) for pid in missing)
        return {
            pid: read[pid] if pid in read else unpack_scores(packs[pid])
            for pid in wanted
            if pid in packs or pid in read
        }

    def all_scores(self, patient_ids: Sequence[int]) -> dict[int, ScoreColumns]:
        """SQLite: every score of these patients, read from `assessment` (none: absent)."""
        cursor = self.raw.cursor()
        try:
            rows = cursor.execute(
                _sqlite_scores_sql(len(patient_ids)),
                self.since_params(dict.fromkeys(patient_ids, date.min)),
            ).fetchall()
        finally:
            cursor.close()
        return self.scores(rows)

    def scores(self, rows: Iterable[Any]) -> dict[int, ScoreColumns]:
        if self.postgres:
            # Not marked in_order: PostgreSQL's planner chooses how the sorted subquery
            # feeds the aggregates, so the rules still check the days' order themselves.
            return {
                pid: ScoreColumns(days, kinds, values, KIND_NAMES)
                for pid, days, values, kinds in rows
            }
        out: dict[int, ScoreColumns] = {}
        for pid, packed in rows:
            if packed:
                parts = packed.split(SEP)
                out[pid] = ScoreColumns(
                    list(map(DAY_NUMBERS.__getitem__, parts[0::3])),
                    "".join(parts[2::3]),
                    list(map(float, parts[1::3])),
                    KIND_NAMES,
                    # ORDER BY a.taken_on, a.id in the co-routine group_concat reads
                    in_order=True,
                )
        return out


@lru_cache(maxsize=8)
def _as_one(queries: tuple[str, ...]) -> tuple[str, list[int]]:
    """The queries as one statement, and how many columns each has: each query's rows come
    back as one array per column (an aggregate with no GROUP BY gives one row, even of no
    rows; in the order the query gives them), the arrays of all in one row."""
    queries = tuple(_psycopg_marks(sql) for sql in queries)
    widths = [_select_width(sql) for sql in queries]
    parts = []
    for n, (sql, width) in enumerate(zip(queries, widths, strict=True)):
        names = [f"c{k}" for k in range(width)]
        arrays = ", ".join(f"array_agg({name})" for name in names)
        parts.append(f"(SELECT {arrays} FROM ({sql}) AS q({', '.join(names)})) AS r{n}")
    # Joined by CROSS JOIN, not listed with commas: PostgreSQL searched the join orders of
    # ten one-row FROM items, 5 to 7 ms of planning at each custom plan (the first ten runs
    # on a connection, and again after each rollback, which makes psycopg forget its
    # prepared statements). An explicit join list longer than join_collapse_limit (8) is
    # searched in parts: about 1 ms.
    return f"SELECT * FROM {' CROSS JOIN '.join(parts)}", widths


def _select_width(sql: str) -> int:
    """How many columns a query of this module selects: the commas at the top level of its
    SELECT list, plus one (its SQL is ours: no comma inside a string literal)."""
    depth, width = 0, 1
    body = sql[len("SELECT ") :] if sql.startswith("SELECT ") else sql
    for at, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char == ",":
            width += 1
        elif depth == 0 and body.startswith(" FROM ", at):
            return width
    raise ValueError(f"not a SELECT ... FROM: {sql[:60]}")


@lru_cache(maxsize=256)
def _psycopg_marks(sql: str) -> str:
    # The queries name their parameters as SQLite does; psycopg's marks are %(name)s.
    return sql.replace(":lo", "%(lo)s").replace(":hi", "%(hi)s").replace(":today", "%(today)s")


class _DayNumbers(dict[str, int]):
    """ISO date text -> day number (`date.toordinal()`), each date parsed once: SQLite's
    julianday() on every score's date was about a tenth of the scores query's time."""

    def __missing__(self, text: str) -> int:
        number = self[text] = date.fromisoformat(text).toordinal()
        return number


DAY_NUMBERS = _DayNumbers()


def _exact_text(column: str, if_null: str | None = None) -> str:
    """SQLite: a REAL column as text that reads back as the same double (`if_null`: the
    SQL for NULL, where the column may hold it; printf would make it '0.0')."""
    # '%!.17g' prints enough digits for any double, but was a tenth of SQLite's work on
    # the scores' read; a whole number (nearly every score) prints exactly as an integer.
    null = "" if if_null is None else f"WHEN {column} IS NULL THEN {if_null} "
    return (
        f"CASE WHEN {column} = CAST({column} AS INTEGER) THEN CAST({column} AS INTEGER) "
        f"{null}ELSE printf('%!.17g', {column}) END"
    )


def _kind_char(char_function: str) -> str:
    """A score's kind as one character (store.score_kinds): the row's stored code, which
    spares the read working it out from four text columns."""
    return f"{char_function}({KIND_BASE} + a.kind_code)"


@lru_cache(maxsize=64)
def _sqlite_scores_sql(patients: int) -> str:
    return _Reader("sqlite").scores_sql(patients)


@lru_cache(maxsize=20_000)
def _date(day_number: int) -> date:
    return date.fromordinal(day_number)
