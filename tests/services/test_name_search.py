"""Searching by MRN or name on its index (pg_trgm, SQLite FTS5) answers as the plain
`lower(column) LIKE '%text%'` over every patient did: the same patients, in the same order."""

import random
from datetime import date

import pytest
from sqlalchemy import func, or_, text
from sqlmodel import Session, select

from tests.services import reference_worklist
from tracker.demo import load_demo
from tracker.services import patients, worklist
from tracker.services.evaluation import refresh_all
from tracker.store.models import Patient

TODAY = date(2026, 11, 21)
ODD_NAMES = (
    ("Élodie", "Müller-Lüdenscheidt"),
    ("ÉLODIE", "MÜLLER"),
    ("Seán", "O'Brien"),
    ('Ann "Nan"', "Lee"),
    ("Zoë", "Ångström"),
    ("Li", "Xu"),
    ("Anna_Maria", "100% Smith"),
)


def old_search(session: Session, query: str) -> tuple[int, list[int]]:
    """search_patients as it was: every patient compared (the oracle)."""
    stmt = select(Patient)
    needle = query.strip().lower()
    if needle:
        like = f"%{needle}%"
        stmt = stmt.where(
            or_(
                func.lower(Patient.mrn).like(like),
                func.lower(Patient.family_name).like(like),
                func.lower(Patient.given_name).like(like),
                func.lower(Patient.family_name + ", " + Patient.given_name).like(like),
                func.lower(Patient.given_name + " " + Patient.family_name).like(like),
            )
        )
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)).all()
    return total, [p.id for p in rows]


def new_search(session: Session, query: str) -> tuple[int, list[int]]:
    total, rows = patients.search_patients(session, query=query, limit=10_000)
    return total, [p.id for p in rows]


@pytest.fixture
def cohort(session):
    load_demo(session, patients=60, seed=6, today=TODAY, zone="UTC")
    for n, (given, family) in enumerate(ODD_NAMES):
        session.add(
            Patient(
                mrn=f"ODD-{n}x", given_name=given, family_name=family, birth_date=date(1970, 1, 1)
            )
        )
    session.flush()
    refresh_all(session, today=TODAY)
    session.flush()
    return session


def _needles(session: Session) -> list[str]:
    rng = random.Random(20)
    people = session.exec(select(Patient.mrn, Patient.family_name, Patient.given_name)).all()
    texts = [t for mrn, family, given in people for t in (mrn, family, given)]
    texts += [f"{family}, {given}" for _mrn, family, given in people]
    texts += [f"{given} {family}" for _mrn, family, given in people]
    needles = ["a", "Ö", "xu", "zzz-nobody", "  Lee  ", "%", "_", "a_n", "100%", '"', '"nan"']
    needles += ["o'b", "o'brien", "élodie", "ÉLODIE", "müller", "ångström", "zoë", ", "]
    for text_ in rng.sample(texts, 30):
        for length in (2, 3, 5, 8):
            start = rng.randrange(max(1, len(text_) - length + 1))
            piece = text_[start : start + length]
            needles += [piece, piece.swapcase()]
    return needles


def test_patient_search_answers_as_before(cohort):
    for needle in _needles(cohort):
        assert new_search(cohort, needle) == old_search(cohort, needle), needle


def test_worklist_search_answers_as_before(cohort):
    for needle in _needles(cohort)[::3]:
        for chosen in ({}, {"view": "needs_booking"}, {"flag": "review_due"}):
            assert worklist.worklist(cohort, on=TODAY, query=needle, **chosen) == (
                reference_worklist.worklist(cohort, on=TODAY, query=needle, **chosen)
            ), (needle, chosen)


def test_the_index_follows_renames_and_removals(cohort):
    patient = cohort.exec(select(Patient).where(Patient.mrn == "ODD-2x")).one()
    assert new_search(cohort, "o'brien")[0] == 1
    patient.family_name = "Fitzgerald"
    patient.mrn = "ODD-2y"
    cohort.flush()
    assert new_search(cohort, "o'brien") == old_search(cohort, "o'brien") == (0, [])
    assert new_search(cohort, "fitzger") == old_search(cohort, "fitzger") == (1, [patient.id])
    assert new_search(cohort, "odd-2y") == (1, [patient.id])
    cohort.delete(patient)
    cohort.flush()
    assert new_search(cohort, "fitzger") == (0, [])


def test_each_database_answers_from_its_own_index(cohort):
    if cohort.get_bind().dialect.name == "postgresql":
        # Every expression the searches compare has its trigram index, and the planner
        # uses it (sequential scans off: the test cohort is small enough to scan).
        cohort.execute(text("SET LOCAL enable_seqscan = off"))
        for expression in (
            "lower(mrn)",
            "lower(family_name)",
            "lower(given_name)",
            "lower(family_name || ', ' || given_name)",
            "lower(given_name || ' ' || family_name)",
        ):
            plan = " ".join(
                str(row[0])
                for row in cohort.execute(
                    text(f"EXPLAIN SELECT id FROM patient WHERE {expression} LIKE '%lee%'")
                )
            )
            assert "_trgm" in plan and "Index" in plan, (expression, plan)
        return
    plan = " ".join(
        str(row[-1])
        for row in cohort.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT rowid FROM patient_name_fts "
                "WHERE patient_name_fts MATCH '\"lee\"'"
            )
        )
    )
    assert "VIRTUAL TABLE INDEX" in plan
    # The index holds one row per patient, and the same ones.
    indexed = cohort.execute(text("SELECT count(*) FROM patient_name_fts_docsize")).scalar_one()
    assert indexed == cohort.exec(select(func.count()).select_from(Patient)).one()
    # The triggers that keep it are there at head (a batch rebuild of `patient` drops them).
    triggers = set(
        cohort.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'patient'")
        ).scalars()
    )
    assert {f"patient_name_fts_{t}" for t in ("insert", "delete", "update")} <= triggers
