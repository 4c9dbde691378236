"""Each patient's scores as SQLite's sweep reads them, kept between sweeps (migration 0025).

The sweep reads every score of every patient (some 170 each, 17 million at 100,000
patients), which SQLite strings together one score at a time: 1.2 to 1.4 s of CPU for each
10,000 patients, a fifth of the sweep. Between two sweeps few patients gain a score, so
`score_pack` keeps each patient's scores as the sweep read them, and the sweep reads them
back in a few milliseconds. They are kept as arrays in binary (pack_scores), which Python
turns back into lists in C: kept as the strings the query makes, splitting them and
converting each day and value cost a quarter of a batch's read again (0.5 to 0.7 s of CPU
per 10,000 patients). PostgreSQL builds its arrays in binary fast enough and has no such
table.

A pack is only ever current: triggers on `assessment` delete a patient's pack whenever one
of their scores is inserted, changed or deleted, whoever writes it (the services, an
import, plain SQL), and the next sweep packs them again. A row also carries the format of
its layout (PACK_FORMAT): a pack of another format is ignored, and replaced, by the next
sweep. A pack holds all of the patient's scores by day and as recorded (id): their count,
then their day numbers, values and kind characters (pack_scores).

A SQLite batch migration that rebuilds `assessment` (copy, drop, rename) drops the triggers
with the old table: it must create them again (SCORE_PACK_TRIGGERS), or packs outlive the
scores they were made from. tests/services/test_score_packs.py fails if a trigger is missing.
"""

import sys
import zlib
from array import array
from collections.abc import Hashable, Mapping

from tracker.rules import ScoreColumns
from tracker.rules.facts import KindName
from tracker.store.score_kinds import KIND_NAMES

SCORE_PACK_TABLE = "score_pack"

# What a pack's bytes mean: the layout (LAYOUT, raised whenever its fields, their order or
# their encoding change), the machine's byte order and what each kind character stands for
# (store.score_kinds: a migration that adds a measure changes it). A change to any of them
# gives another format, and every stored pack is made again by the next sweep rather than
# misread (a file moved to a machine of the other byte order, say).
LAYOUT = 1


def pack_format(names: Mapping[Hashable, KindName], byteorder: str = sys.byteorder) -> int:
    """The format number of packs made here, whose kinds `names` decodes."""
    return zlib.crc32(repr((LAYOUT, byteorder, sorted(names.items()))).encode()) >> 1


PACK_FORMAT = pack_format(KIND_NAMES)
_COUNT = array("i", [0]).itemsize  # bytes of the count, and of each day number
_VALUE = array("d", [0.0]).itemsize

# The triggers by name, each deleting the packs of the patients whose scores it saw change.
SCORE_PACK_TRIGGERS = {
    "score_pack_on_insert": "AFTER INSERT ON assessment BEGIN "
    "DELETE FROM score_pack WHERE patient_id = NEW.patient_id; END",
    "score_pack_on_update": "AFTER UPDATE ON assessment BEGIN "
    "DELETE FROM score_pack WHERE patient_id IN (OLD.patient_id, NEW.patient_id); END",
    "score_pack_on_delete": "AFTER DELETE ON assessment BEGIN "
    "DELETE FROM score_pack WHERE patient_id = OLD.patient_id; END",
}


def is_score_pack(name: str | None, type_: str) -> bool:
    """Whether a schema object is the packs' table (not in the models: autogenerate skips it)."""
    return type_ == "table" and name == SCORE_PACK_TABLE


def pack_scores(scores: ScoreColumns) -> bytes:
    """A patient's scores (day numbers, values and one-character kinds, in date order) as
    a pack: the count, the days as int32s, the values as doubles, the kinds in UTF-8."""
    days = array("i", scores.days)
    return b"".join(
        (
            array("i", [len(days)]).tobytes(),
            days.tobytes(),
            array("d", scores.values).tobytes(),
            "".join(scores.kinds).encode(),  # type: ignore[arg-type]  # one-character kinds
        )
    )


def unpack_scores(pack: bytes) -> ScoreColumns:
    """The scores of a pack (pack_scores), in date order."""
    view = memoryview(pack)
    count = view[:_COUNT].cast("i")[0]
    values_at = _COUNT * (1 + count)
    kinds_at = values_at + _VALUE * count
    return ScoreColumns(
        view[_COUNT:values_at].cast("i").tolist(),
        bytes(view[kinds_at:]).decode(),
        view[values_at:kinds_at].cast("d").tolist(),
        KIND_NAMES,
        in_order=True,
    )
