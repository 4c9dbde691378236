"""Patients whose MRN or name contains a text: the one condition, on its index.

The answer is always that of `lower(column) LIKE '%text%'` over the compared columns (the
text lower-cased; `%` and `_` in it are wildcards, as they always were). PostgreSQL answers
that very condition from trigram indexes on the same expressions. On SQLite the FTS5
trigram table first gives the candidates, every patient any of whose compared texts holds
the text's characters in a row, case aside, and the condition then decides among them; a
text shorter than a trigram (or with a wildcard, which a trigram cannot hold) is compared
with every patient, as before (tracker/store/search.py, migration 0019).
"""

from typing import Any

from sqlalchemy import ColumnElement, and_, column, func, or_, table
from sqlmodel import Session, select

from tracker.store.models import Patient
from tracker.store.search import NAME_SEARCH_TABLE

_TRIGRAM_CHARS = 3
_FTS = table(NAME_SEARCH_TABLE, column("rowid"))


def search_text(query: str) -> str:
    """The text searched for: the query trimmed and lower-cased ("" for no search)."""
    return query.strip().lower()


def name_condition(session: Session, needle: str, *, whole_names: bool) -> ColumnElement[bool]:
    """The patients whose MRN, family or given name contains `needle` (`search_text`'s), or
    with `whole_names` also "family, given" or "given family"."""
    like = f"%{needle}%"
    compared: list[Any] = [Patient.mrn, Patient.family_name, Patient.given_name]
    if whole_names:
        compared += [
            Patient.family_name + ", " + Patient.given_name,
            Patient.given_name + " " + Patient.family_name,
        ]
    matches = or_(*(func.lower(text).like(like) for text in compared))
    if session.get_bind().dialect.name != "sqlite" or not _fits_trigrams(needle):
        return matches
    return and_(Patient.id.in_(candidates(needle)), matches)


def candidates(needle: str) -> Any:
    """SQLite: the ids of the patients the FTS5 trigram index says may match (a superset)."""
    phrase = '"' + needle.replace('"', '""') + '"'
    return select(_FTS.c.rowid).where(column(NAME_SEARCH_TABLE).op("MATCH")(phrase))


def _fits_trigrams(needle: str) -> bool:
    return len(needle) >= _TRIGRAM_CHARS and "%" not in needle and "_" not in needle
