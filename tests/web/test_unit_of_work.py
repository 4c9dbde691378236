"""A request's unit of work: committed on its endpoint's own thread, rolled back on an error,
and nothing saved when the commit itself fails (tracker.web.routing.in_one_hand_over)."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, func, select

from tracker.store.models import Patient
from tracker.web import deps

PATIENT = {
    "given_name": "Ann",
    "family_name": "Lee",
    "birth_date": "1965-02-03",
    "sex": "female",
    "height_cm": 165,
}


@pytest.fixture
def hand_overs(monkeypatch) -> list[str]:
    """The session dependency's own hand-overs to the thread pool, by what they ran."""
    seen: list[str] = []
    real = deps.run_in_threadpool

    async def counted(function, *args, **kwargs):
        seen.append(getattr(function, "__name__", repr(function)))
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(deps, "run_in_threadpool", counted)
    return seen


def _patients(session: Session, mrn: str) -> int:
    return session.exec(select(func.count()).select_from(Patient).where(Patient.mrn == mrn)).one()


def test_a_write_is_committed_on_its_endpoints_thread(client, api_as, session, hand_overs):
    headers = api_as("pharmacist")
    hand_overs.clear()
    answer = client.post("/api/v1/patients", json=PATIENT | {"mrn": "UOW-1"}, headers=headers)
    assert answer.status_code == 201, answer.text
    # No hand-over for the commit: on SQLite only the scope's opening (it may wait for the
    # write lock) goes to the thread pool from the dependency.
    opening = [] if session.get_bind().dialect.name == "postgresql" else ["__enter__"]
    assert hand_overs == opening
    assert _patients(session, "UOW-1") == 1
    assert client.get(f"/api/v1/patients/{answer.json()['id']}", headers=headers).status_code == 200


def test_a_refused_write_is_rolled_back_on_its_endpoints_thread(
    client, api_as, session, hand_overs
):
    headers = api_as("pharmacist")
    assert client.post("/api/v1/patients", json=PATIENT | {"mrn": "UOW-2"}, headers=headers)
    hand_overs.clear()
    again = client.post("/api/v1/patients", json=PATIENT | {"mrn": "UOW-2"}, headers=headers)
    assert again.status_code == 409, again.text
    # The rollback too is made before the endpoint's thread is left (no hand-over of the
    # dependency's): a request waiting for a thread holds no lock (tracker.web.threads).
    opening = [] if session.get_bind().dialect.name == "postgresql" else ["__enter__"]
    assert hand_overs == opening
    assert _patients(session, "UOW-2") == 1


def test_a_request_refused_before_its_endpoint_is_rolled_back_by_the_dependency(
    client, api_as, session, hand_overs
):
    headers = api_as("viewer")
    hand_overs.clear()
    refused = client.post("/api/v1/patients", json=PATIENT | {"mrn": "UOW-4"}, headers=headers)
    assert refused.status_code == 403, refused.text
    assert hand_overs[-1] == "end"  # the role check refused it: the endpoint never ran
    assert _patients(session, "UOW-4") == 0


def test_a_commit_that_fails_is_a_500_and_saves_nothing(app, api_as, session, monkeypatch):
    headers = api_as("pharmacist")

    def refuse(session: Session) -> None:
        if session.info.get("uow-test-refuse"):
            raise RuntimeError("the disk is full")

    def mark(session: Session, *_args: object) -> None:
        # Only the request that creates the patient: its flush holds a new Patient.
        if any(isinstance(o, Patient) for o in session.new):
            session.info["uow-test-refuse"] = True

    event.listen(Session, "before_flush", mark)
    event.listen(Session, "before_commit", refuse)
    try:
        with TestClient(app, raise_server_exceptions=False) as failing:
            answer = failing.post(
                "/api/v1/patients", json=PATIENT | {"mrn": "UOW-3"}, headers=headers
            )
    finally:
        event.remove(Session, "before_flush", mark)
        event.remove(Session, "before_commit", refuse)
    assert answer.status_code == 500
    assert _patients(session, "UOW-3") == 0
