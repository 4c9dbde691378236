"""Plain statements (services.plain_sql): what they write and read back is what the ORM
writes and reads, on SQLite and PostgreSQL alike."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.builders.rows import add_patient, chair
from tracker.rules.vocabulary import CourseStatus
from tracker.services import plain_sql
from tracker.services.errors import NotFound
from tracker.services.infusions import get_infusion
from tracker.store.connect import WriteInReadScope
from tracker.store.engine import session_scope
from tracker.store.models import ApiToken, Infusion, StaffUser

GIVEN_AT = datetime(2026, 3, 4, 10, 30, 15, 123456, tzinfo=UTC)


def _course(patient_id: int, chair_id: int, **changes) -> Infusion:
    values = {
        "patient_id": patient_id,
        "scheduled_on": date(2026, 3, 4),
        "start_time": time(8, 30),
        "chair_id": chair_id,
        "days": 1,
        "chair_minutes": 215,
        "status": CourseStatus.GIVEN,  # an enum member: stored as its value
        "dose_g": 52.5,
        "given_at": GIVEN_AT,
        "notes": "50% faster: tolerated",  # a literal % in a value, not in the SQL
    }
    return Infusion(**{**values, **changes})


def _read_back(session: Session, infusion_id: int) -> Infusion:
    session.expunge_all()
    found = session.exec(select(Infusion).where(Infusion.id == infusion_id)).one()
    return found


def test_an_insert_reads_back_through_the_orm_as_written(session):
    patient = add_patient(session, "PS-1")
    seat = chair(session)
    course = _course(patient.id, seat.id)
    new_id = plain_sql.insert(session, course)

    assert course.id == new_id
    assert course in session and course not in session.new  # kept as loaded, not pending
    stored = _read_back(session, new_id)
    assert stored.scheduled_on == date(2026, 3, 4)
    assert stored.start_time == time(8, 30)
    assert stored.status == "given"
    assert stored.given_at == GIVEN_AT
    assert stored.dose_g == 52.5
    assert stored.notes == "50% faster: tolerated"
    assert stored.created_at is not None


def test_an_update_saves_the_row_and_the_object_says_so(session):
    patient = add_patient(session, "PS-2")
    seat = chair(session)
    course = _course(patient.id, seat.id, status=CourseStatus.BOOKED, given_at=None)
    plain_sql.insert(session, course)

    plain_sql.update(
        session,
        course,
        {"status": CourseStatus.GIVEN.value, "given_at": GIVEN_AT, "start_time": time(9, 5)},
    )
    assert course.status == "given"
    assert course not in session.dirty  # nothing left for a flush to send
    stored = _read_back(session, course.id)
    assert (stored.status, stored.given_at, stored.start_time) == ("given", GIVEN_AT, time(9, 5))


def test_rows_give_dates_and_times_as_such_on_either_database(session):
    patient = add_patient(session, "PS-3")
    seat = chair(session)
    plain_sql.insert(session, _course(patient.id, seat.id))

    found = plain_sql.rows(
        session,
        "SELECT scheduled_on, start_time, dose_g FROM infusion WHERE patient_id = :pid",
        {"pid": patient.id},
        dates=(0,),
        times=(1,),
    )
    assert found == [(date(2026, 3, 4), time(8, 30), 52.5)]
    (given_at,) = plain_sql.first(
        session,
        "SELECT given_at FROM infusion WHERE patient_id = :pid",
        {"pid": patient.id},
        instants=(0,),
    )
    assert given_at == GIVEN_AT and given_at.utcoffset().total_seconds() == 0
    assert plain_sql.first(session, "SELECT id FROM infusion WHERE id = :id", {"id": 0}) is None


def test_the_drivers_errors_come_as_sqlalchemys(session):
    patient = add_patient(session, "PS-4")
    seat = chair(session)
    booked = {"status": CourseStatus.BOOKED, "given_at": None, "dose_g": None}
    plain_sql.insert(session, _course(patient.id, seat.id, **booked))
    # The unique index on a chair's start: a second booking at the same start is refused.
    with pytest.raises(IntegrityError):
        plain_sql.insert(session, _course(patient.id, seat.id, **booked))


def test_loaded_gives_the_sessions_own_object_and_flushes_its_changes(session, make_user):
    user = make_user("lou.loaded", role="nurse")
    user_id = user.id
    session.commit()
    session.expunge_all()
    columns = plain_sql.columns_sql(StaffUser, "u")
    values = plain_sql.first(
        session, f"SELECT {columns} FROM staff_user u WHERE u.id = :id", {"id": user_id}
    )
    assert values is not None

    first = plain_sql.loaded(session, StaffUser, values)
    assert (first.username, first.role, first.is_active) == ("lou.loaded", "nurse", True)
    assert first.password_changed_at.tzinfo is not None
    assert plain_sql.loaded(session, StaffUser, values) is first  # one object per row
    assert session.get(StaffUser, user_id) is first  # no second read

    # Made without __init__, as the ORM makes what it loads: it dumps as a loaded row does.
    dumped = first.model_dump()
    first.full_name = "Lou Loaded"
    session.flush()
    session.expunge_all()
    again = session.get(StaffUser, user_id)
    assert again.full_name == "Lou Loaded"
    assert again.model_dump() == {**dumped, "full_name": "Lou Loaded"}


def test_rows_of_a_statement_that_returns_none_are_no_rows(session, make_user):
    user_id = make_user("nora.none", role="nurse").id
    session.flush()
    renamed = "UPDATE staff_user SET full_name = :name WHERE id = :id"
    assert plain_sql.rows(session, renamed, {"name": "Nora", "id": user_id}) == []
    returned = plain_sql.rows(session, renamed + " RETURNING id", {"name": "N", "id": user_id})
    assert returned == [(user_id,)]
    assert plain_sql.rows(session, "SELECT id FROM staff_user WHERE id = :id", {"id": 0}) == []


def test_the_columns_are_read_in_the_order_named(session):
    assert plain_sql.column_names(ApiToken)[0] == "id"
    assert plain_sql.columns_sql(ApiToken, "t").startswith("t.id, t.token_hash")


def test_a_literal_percent_in_the_sql_is_refused_for_postgresql():
    with pytest.raises(ValueError, match="literal %"):
        plain_sql._for_psycopg("SELECT 1 WHERE 'a' LIKE 'a%'")
    assert plain_sql._for_psycopg("a = :a AND b::text = :b") == "a = %(a)s AND b::text = %(b)s"


@pytest.mark.postgres
def test_a_statement_alone_leaves_no_transaction_open(postgres_database):
    _url, engine = postgres_database
    with Session(engine) as session:
        assert plain_sql.first(session, "SELECT 1", alone=True) == (1,)
        assert not plain_sql.in_transaction(session)  # nothing to commit, nothing held
        plain_sql.first(session, "SELECT 2")
        assert plain_sql.in_transaction(session)
        # Once a transaction is open, `alone` runs inside it, seeing what it wrote.
        assert plain_sql.first(session, "SELECT 3", alone=True) == (3,)
        assert plain_sql.in_transaction(session)
        session.rollback()


def test_a_plain_write_in_a_sqlite_read_scope_is_refused_as_the_orms_is(sqlite_database):
    _url, engine = sqlite_database
    reading = session_scope(engine, write=False, refuse_writes="GET /somewhere")
    with pytest.raises(WriteInReadScope, match="GET /somewhere"), reading as session:
        plain_sql.run(session, "UPDATE chair SET active = active WHERE id = 0")


def test_a_plain_read_sees_the_sessions_unsent_changes_as_the_orms_would(session):
    patient = add_patient(session, "PS-5")
    patient.status = "on_hold"  # changed on the object, not yet sent
    found = plain_sql.first(
        session, "SELECT status FROM patient WHERE id = :id", {"id": patient.id}
    )
    assert found == ("on_hold",)


def test_a_course_got_by_its_id_is_the_one_the_orm_reads_and_its_changes_are_saved(session):
    patient = add_patient(session, "PS-GET")
    seat = chair(session)
    new_id = plain_sql.insert(session, _course(patient.id, seat.id))
    session.commit()
    session.expunge_all()
    course = get_infusion(session, new_id)
    assert course in session and course not in session.dirty
    as_orm = session.get(Infusion, new_id)
    assert as_orm is course  # the session's own object: the ORM finds it held
    expected = _read_back(session, new_id).model_dump()
    session.expunge_all()
    course = get_infusion(session, new_id)
    assert course.model_dump() == expected  # every column, dates and instants as such
    assert get_infusion(session, new_id) is course  # held: no second object
    course.notes = "reaction: none"
    session.commit()
    assert _read_back(session, new_id).notes == "reaction: none"
    with pytest.raises(NotFound):
        get_infusion(session, new_id + 1000)
