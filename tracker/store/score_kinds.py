"""A score's kind (measure, side, timing, source) as one small number, kept by the database.

The sweep reads every score of every patient and needs each one's kind; working it out
from the four text columns with `CASE`s was a quarter of SQLite's work on that read, so
`assessment.kind_code` is a stored generated column with this expression, computed once
when a score is written (or changed). The sweep sends each score's kind as one character,
KIND_BASE + kind_code (services.packed_facts).

The expression numbers the measures in the order of rules.MEASURES. A measure added there
needs a migration that gives `assessment.kind_code` the new expression; until then its
scores are stored as code 0 (a measure the rules do not know), which
tests/store/test_score_kinds.py catches.
"""

from __future__ import annotations

from collections.abc import Hashable

from tracker.rules.facts import KindName
from tracker.rules.measures import MEASURES

# Measure 0 is one the rules do not know; the others are numbered from 1 in MEASURES' order.
MEASURE_CODES = tuple(MEASURES)
SIDE_CODES = (None, "left", "right")
TIMING_CODES = ("pre_infusion", "post_infusion", "clinic")
CLINIC_TIMING = 2  # also the code of a timing the rules do not know
SOURCE_CODES = ("clinic", "home")
# The character of kind code 0: above the separator of SQLite's packed strings, and '0' on.
KIND_BASE = 48


def kind_code_sql() -> str:
    """The kind code of an assessment row as SQL, the same on SQLite and PostgreSQL:
    ((measure * 3 + side) * 3 + timing) * 2 + source, as kind_code reckons it."""
    measures = " ".join(f"WHEN '{code}' THEN {n}" for n, code in enumerate(MEASURE_CODES, 1))
    return (
        f"(((CASE measure {measures} ELSE 0 END) * 3 + "
        f"{_case('side', SIDE_CODES)}) * 3 + "
        f"{_case('timing', TIMING_CODES, default=CLINIC_TIMING)}) * 2 + "
        f"{_case('source', SOURCE_CODES)}"
    )


def _case(column: str, codes: tuple[str | None, ...], default: int = 0) -> str:
    # Each value its index in `codes`; any other value (and NULL) the default index.
    whens = " ".join(
        f"WHEN '{code}' THEN {n}" for n, code in enumerate(codes) if code and n != default
    )
    return f"(CASE {column} {whens} ELSE {default} END)"


def kind_code(measure: str, side: str | None, timing: str, source: str) -> int:
    """The code kind_code_sql gives a row with these values."""
    m = MEASURE_CODES.index(measure) + 1 if measure in MEASURE_CODES else 0
    s = SIDE_CODES.index(side) if side in SIDE_CODES else 0
    t = TIMING_CODES.index(timing) if timing in TIMING_CODES else CLINIC_TIMING
    o = SOURCE_CODES.index(source) if source in SOURCE_CODES else 0
    return ((m * 3 + s) * 3 + t) * 2 + o


# The kind character (KIND_BASE + kind code) -> (measure, side, timing, source); "?" is a
# measure the rules ignore.
KIND_NAMES: dict[Hashable, KindName] = {
    chr(KIND_BASE + kind_code(measure, side, timing, source)): (measure, side, timing, source)
    for measure in ("?", *MEASURE_CODES)
    for side in SIDE_CODES
    for timing in TIMING_CODES
    for source in SOURCE_CODES
}
