"""assessment.kind_code: the database's stored code agrees with the rules' measures."""

from datetime import date
from itertools import product

from sqlalchemy import text

from tracker.rules import MEASURES
from tracker.services import plain_sql
from tracker.store.models import Assessment, Patient
from tracker.store.score_kinds import (
    KIND_BASE,
    KIND_NAMES,
    SIDE_CODES,
    SOURCE_CODES,
    TIMING_CODES,
    kind_code,
)

UNKNOWN = "pinch_gauge"  # a measure the rules do not know: code 0, read as "?"


def _patient(session) -> int:
    patient = Patient(
        mrn="K-1", mrn_key="K1", family_name="Kind", given_name="Code", birth_date=date(1970, 1, 1)
    )
    session.add(patient)
    session.flush()
    return patient.id


def test_every_kind_is_stored_as_the_code_the_sweep_decodes(session):
    # Built by the migrations: a measure added to rules.MEASURES without a migration that
    # gives kind_code the new expression is stored as 0 here and fails.
    pid = _patient(session)
    kinds = list(product((*MEASURES, UNKNOWN), SIDE_CODES, TIMING_CODES, SOURCE_CODES))
    session.execute(
        text(
            "INSERT INTO assessment (patient_id, taken_on, measure, side, value, timing, "
            "source, recorded_at) VALUES (:pid, :day, :measure, :side, 1, :timing, :source, "
            ":at)"
        ),
        [
            {"pid": pid, "day": date(2026, 1, 1), "measure": m, "side": s, "timing": t,
             "source": o, "at": "2026-01-01 00:00:00"}
            for m, s, t, o in kinds
        ],
    )  # fmt: skip
    stored = session.execute(
        text(
            "SELECT measure, side, timing, source, kind_code FROM assessment "
            "WHERE patient_id = :pid ORDER BY id"
        ),
        {"pid": pid},
    ).all()
    assert [tuple(row[:4]) for row in stored] == kinds
    for measure, side, timing, source, code in stored:
        assert code == kind_code(measure, side, timing, source)
        known = measure if measure in MEASURES else "?"
        assert KIND_NAMES[chr(KIND_BASE + code)] == (known, side, timing, source)
    assert len({row[4] for row in stored}) == len(kinds)  # no two kinds share a code


def test_a_score_inserted_by_plain_sql_holds_its_code_and_follows_a_change(session):
    pid = _patient(session)
    row = Assessment(
        patient_id=pid,
        taken_on=date(2026, 1, 2),
        measure="mrc_sum",
        side=None,
        value=50,
        timing="post_infusion",
        source="home",
    )
    plain_sql.insert(session, row)
    assert row.kind_code == kind_code("mrc_sum", None, "post_infusion", "home")
    session.execute(
        text("UPDATE assessment SET timing = 'pre_infusion' WHERE id = :id"), {"id": row.id}
    )
    changed = session.execute(
        text("SELECT kind_code FROM assessment WHERE id = :id"), {"id": row.id}
    ).scalar_one()
    assert changed == kind_code("mrc_sum", None, "pre_infusion", "home") != row.kind_code
