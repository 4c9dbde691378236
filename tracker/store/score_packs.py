"""Each patient's scores as SQLite's sweep reads them, kept between sweeps (migration 0025).

The sweep reads every score of every patient (some 170 each, 17 million at 100,000
patients), which SQLite strings together one score at a time: 1.2 to 1.4 s of CPU for each
10,000 patients, a fifth of the sweep. Between two sweeps few patients gain a score, so
`score_pack` keeps the string the sweep made for each patient, and the sweep reads it back
in a few milliseconds. PostgreSQL builds its arrays in binary fast enough and has no such
table.

A pack is only ever current: triggers on `assessment` delete a patient's pack whenever one
of their scores is inserted, changed or deleted, whoever writes it (the services, an
import, plain SQL), and the next sweep packs them again. A row also carries the format of
its string (PACK_FORMAT): a pack of another format is ignored, and replaced, by the next
sweep. Its string is all of the patient's scores by day and as recorded (id), each as the
day's ISO text, the value (exact) and the kind's character, separated by the unit
separator (services.packed_facts).

A SQLite batch migration that rebuilds `assessment` (copy, drop, rename) drops the triggers
with the old table: it must create them again (SCORE_PACK_TRIGGERS), or packs outlive the
scores they were made from. tests/store/test_score_packs.py fails if a trigger is missing.
"""

SCORE_PACK_TABLE = "score_pack"

# Raised whenever the string's layout changes (its fields, their order or encoding, the
# kinds' characters): every stored pack is then made again by the next sweep.
PACK_FORMAT = 1

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
