"""The health check's question: does the database answer?"""

from tracker.services.health import database_answers
from tracker.store.engine import make_engine


def test_a_working_database_answers(engine):
    assert database_answers(engine)


def test_a_database_that_cannot_be_opened_does_not(tmp_path):
    broken = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    try:
        assert not database_answers(broken)
    finally:
        broken.dispose()
