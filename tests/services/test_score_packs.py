"""SQLite's kept score packs (store.score_packs): made by a sweep, read by the next one, and
dropped whenever a score of theirs changes, however it is written."""

from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import select

from tracker.demo import load_demo
from tracker.rules import ScoreColumns
from tracker.services.evaluation import refresh_all
from tracker.services.packed_facts import _Reader, _sqlite_scores_sql
from tracker.services.state_check import check_states
from tracker.store.engine import session_scope
from tracker.store.models import Assessment, Patient
from tracker.store.score_kinds import KIND_NAMES
from tracker.store.score_packs import (
    PACK_FORMAT,
    SCORE_PACK_TRIGGERS,
    pack_format,
    pack_scores,
    unpack_scores,
)

TODAY = date(2026, 11, 21)


def _packs(engine) -> dict[int, tuple[int, ScoreColumns]]:
    """Every kept pack: its format and the scores it holds."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT patient_id, format, scores FROM score_pack"))
        return {pid: (form, unpack_scores(pack)) for pid, form, pack in rows}


def _packed_now(engine, pid: int) -> ScoreColumns:
    """The patient's scores as the sweep reads them without a pack."""
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        rows = raw.execute(_sqlite_scores_sql(1), {"p0": pid, "s0": "0001-01-01"}).fetchall()
        # As a pack has them: a patient without scores has an empty one.
        return unpack_scores(pack_scores(_Reader("sqlite").scores(rows).get(pid, ScoreColumns())))


def _sweep(engine, processes: int = 1) -> None:
    with session_scope(engine) as session:
        refresh_all(session, today=TODAY, batch_size=7, processes=processes)


def _differences(engine) -> list:
    with session_scope(engine, write=False) as session:
        return check_states(session, on=TODAY, sample=None).differences


def _scored_patients(engine) -> list[int]:
    with session_scope(engine, write=False) as session:
        query = select(Assessment.patient_id).distinct().order_by(Assessment.patient_id)
        return list(session.exec(query))


def test_every_change_to_a_score_drops_its_patients_pack(sqlite_database):
    _url, engine = sqlite_database
    with session_scope(engine) as session:
        load_demo(session, patients=20, seed=3, today=TODAY, zone="UTC")
    _sweep(engine)
    kept = _packs(engine)
    scored = _scored_patients(engine)
    assert len(scored) >= 4 and set(scored) <= set(kept)
    for pid, (form, scores) in kept.items():
        assert form == PACK_FORMAT
        assert scores == _packed_now(engine, pid)
    assert sum(len(scores.days) for _form, scores in kept.values()) > 20 * len(scored)
    changed, deleted, added, moved_from, moved_to = scored[:5]
    with session_scope(engine) as session:
        # Through the ORM: a value changed, a score deleted, a score added.
        score = session.exec(select(Assessment).where(Assessment.patient_id == changed)).first()
        score.value += 1
        gone = session.exec(select(Assessment).where(Assessment.patient_id == deleted)).first()
        session.delete(gone)
        session.add(
            Assessment(
                patient_id=added, taken_on=TODAY - timedelta(days=3), measure="mrc_sum",
                value=77, timing="pre_infusion",
            )
        )  # fmt: skip
    with engine.begin() as connection:
        # Through plain SQL: a score moved to another patient drops both packs.
        connection.execute(
            text(
                "UPDATE assessment SET patient_id = :to WHERE id = "
                "(SELECT min(id) FROM assessment WHERE patient_id = :from)"
            ),
            {"to": moved_to, "from": moved_from},
        )
    left = _packs(engine)
    assert set(kept) - set(left) == {changed, deleted, added, moved_from, moved_to}
    assert all(left[pid] == kept[pid] for pid in left)
    # The next sweep packs them again, from the scores as they now are.
    _sweep(engine)
    again = _packs(engine)
    assert set(again) == set(kept)
    for pid in (changed, deleted, added, moved_from, moved_to):
        assert again[pid][1] == _packed_now(engine, pid) != kept[pid][1]
    assert _differences(engine) == []


def test_the_sweep_reads_the_kept_pack_and_ignores_another_format(sqlite_database):
    _url, engine = sqlite_database
    with session_scope(engine) as session:
        load_demo(session, patients=20, seed=3, today=TODAY, zone="UTC")
    _sweep(engine)
    assert _differences(engine) == []
    # A pack that is not its patient's scores (written behind the triggers' back) is what
    # the next sweep evaluates: the kept packs are read, not made again.
    first, *_rest, last = _scored_patients(engine)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE score_pack SET scores = (SELECT scores FROM score_pack WHERE "
                 "patient_id = :other) WHERE patient_id = :pid"),
            {"pid": first, "other": last},
        )  # fmt: skip
    # `tracker sweep --verify` names the pack that is not its patient's scores.
    (stale,) = _differences(engine)
    assert (stale.patient_id, stale.fields) == (first, ("score_pack",))
    _sweep(engine)
    (wrong,) = _differences(engine)
    assert wrong.patient_id == first and "score_pack" in wrong.fields
    assert len(wrong.fields) > 1  # the state evaluated from it is wrong too
    # Of another format, the same pack is ignored and replaced.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE score_pack SET format = :old WHERE patient_id = :pid"),
            {"old": PACK_FORMAT - 1, "pid": first},
        )
    _sweep(engine)
    assert _packs(engine)[first] == (PACK_FORMAT, _packed_now(engine, first))
    assert _differences(engine) == []


def test_worker_processes_make_packs_the_sweep_keeps(sqlite_database):
    _url, engine = sqlite_database
    with session_scope(engine) as session:
        load_demo(session, patients=24, seed=6, today=TODAY, zone="UTC")
    _sweep(engine, processes=2)
    kept = _packs(engine)
    assert set(_scored_patients(engine)) <= set(kept)
    assert all(scores == _packed_now(engine, pid) for pid, (_f, scores) in kept.items())
    _sweep(engine, processes=2)
    assert _packs(engine) == kept
    assert _differences(engine) == []


def test_the_packs_triggers_are_in_place_at_head(sqlite_database):
    # A later migration that rebuilds `assessment` on SQLite drops its triggers: it must make
    # them again, or packs outlive their scores.
    _url, engine = sqlite_database
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                     "AND tbl_name = 'assessment'")
            ).all()
        )  # fmt: skip
    for name, body in SCORE_PACK_TRIGGERS.items():
        assert " ".join(found[name].split()) == f"CREATE TRIGGER {name} {body}"


def test_a_deleted_patient_takes_their_pack_along(sqlite_database):
    _url, engine = sqlite_database
    with session_scope(engine) as session:
        load_demo(session, patients=6, seed=3, today=TODAY, zone="UTC")
        session.add(Patient(mrn="P-1", mrn_key="P1", family_name="Pack", given_name="Only",
                            birth_date=date(1970, 1, 1)))  # fmt: skip
    _sweep(engine)
    with session_scope(engine, write=False) as session:
        lonely = session.exec(select(Patient.id).where(Patient.mrn == "P-1")).one()
    assert _packs(engine).get(lonely) is None
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO score_pack (patient_id, format, scores) VALUES (:pid, :f, '')"),
            {"pid": lonely, "f": PACK_FORMAT},
        )
        connection.execute(text("DELETE FROM patient WHERE id = :pid"), {"pid": lonely})
    assert lonely not in _packs(engine)


def test_a_new_kind_or_byte_order_makes_another_format():
    # Packs made before a migration that adds a measure (new kind characters), or on a
    # machine of the other byte order, are made again rather than misread.
    assert pack_format(KIND_NAMES) == PACK_FORMAT
    more = {**KIND_NAMES, chr(0x100): ("pinch_gauge", None, "clinic", "clinic")}
    other = "big" if pack_format(KIND_NAMES, "little") == PACK_FORMAT else "little"
    assert len({PACK_FORMAT, pack_format(more), pack_format(KIND_NAMES, other)}) == 3
