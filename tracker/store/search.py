"""The indexes made for searching patients by MRN and name, which the models cannot describe.

PostgreSQL: trigram (pg_trgm) GIN indexes on the lower-cased columns the search compares, so
that `lower(column) LIKE '%text%'` is answered from an index. SQLite: an FTS5 table with the
trigram tokenizer, contentless and kept by triggers, from which the candidates are read;
the search's own comparison then decides (migration 0019).

A SQLite batch migration that rebuilds `patient` (copy, drop, rename) drops the triggers
with the old table: it must create them again, as 0019 does, or the index falls behind.
"""

from tracker.store.score_packs import is_score_pack

# The SQLite full-text table: one row per patient (rowid = patient.id), one column holding
# every text the search compares, so that each of them is a substring of it.
NAME_SEARCH_TABLE = "patient_name_fts"

# The PostgreSQL trigram indexes, by name.
TRIGRAM_INDEXES = (
    "ix_patient_mrn_trgm",
    "ix_patient_family_name_trgm",
    "ix_patient_given_name_trgm",
    "ix_patient_family_given_trgm",
    "ix_patient_given_family_trgm",
)


def is_search_index(name: str | None, type_: str) -> bool:
    """Whether a schema object is one of these (not in the models: autogenerate skips it)."""
    if name is None:
        return False
    if type_ == "table":
        return name == NAME_SEARCH_TABLE or name.startswith(NAME_SEARCH_TABLE + "_")
    return type_ == "index" and name in TRIGRAM_INDEXES


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's include_name hook: everything but the search indexes and the sweep's score
    packs (store.score_packs), neither of which the models describe."""
    return not is_search_index(name, type_) and not is_score_pack(name, type_)
