"""Shared pieces of the security tests: clients per role, a small world of real rows, and
filling a route's path with ids."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.web.pages_helpers import csrf_of, log_in
from tracker.schemas.diagnosis import DiagnosisCreate
from tracker.schemas.patients import PatientCreate, WeightCreate
from tracker.schemas.scores import AssessmentCreate, ReviewCreate
from tracker.schemas.treatment import InfusionCreate, LotInput, RegimenCreate
from tracker.services import (
    assessments,
    diagnosis,
    infusions,
    patients,
    regimens,
    staff,
    staff_admin,
)
from tracker.services.actors import SYSTEM
from tracker.store.models import OutboxMessage
from tracker.web.routes_index import iter_routes

STAFF_ROLES = ("viewer", "nurse", "pharmacist", "admin")
RANK = {role: rank for rank, role in enumerate(STAFF_ROLES)}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MISSING_ID = 999_999


def route_keys(app) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, HEAD aside."""
    return sorted({(m, r.path) for r in iter_routes(app) for m in r.methods - {"HEAD"}},
                  key=lambda k: (k[1], k[0]))


def is_api(path: str) -> bool:
    """True for the JSON API (bearer tokens only)."""
    return path.startswith("/api/")


def knows_every_id(path: str, ids: dict) -> bool:
    """True when `ids` has a real value for each {name} in the path."""
    return all(name in ids for name in re.findall(r"\{([^}]+)\}", path))


def fill(path: str, ids: dict | None = None) -> str:
    """The path with each {name} replaced by ids[name], or an id that does not exist."""
    ids = ids or {}
    return re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), MISSING_ID)), path)


def page_client(app, make_user, role: str, username: str | None = None) -> TestClient:
    """A browser-like client logged in to the pages as a new user; `.csrf` is its token."""
    client = TestClient(app, base_url="http://testserver")
    client.user = log_in(client, make_user, role, username or f"{role}.pages")
    client.csrf = csrf_of(client.get("/account/password").text)
    return client


def another_device(app, client: TestClient) -> TestClient:
    """A second browser logged in to the same account as `client`."""
    return page_client(app, lambda *_: client.user, client.user.role)


@dataclass
class World:
    """Real rows for every kind of id a route takes."""

    patient_id: int
    infusion_id: int  # booked
    given_infusion_id: int
    message_id: int
    user_id: int
    token_id: int

    def ids(self) -> dict:
        """Path parameters by name."""
        return {"patient_id": self.patient_id, "infusion_id": self.infusion_id,
                "message_id": self.message_id, "user_id": self.user_id,
                "token_id": self.token_id}


def build_world(session, *, given_name="Ann", family_name="Lee", today: date | None = None
                ) -> World:
    """A patient with a weight, a regimen, a booked and a given course, a score, a review, a
    diagnostic assessment, an e-mail in the outbox, and a staff account with an integration
    token."""
    today = today or date.today()
    patient = patients.create_patient(session, actor=SYSTEM, today=today, data=PatientCreate(
        mrn="SEC-1", given_name=given_name, family_name=family_name,
        birth_date=date(1961, 5, 6), sex="female", height_cm=165, email="ann@example.org"))
    patients.add_weight(session, actor=SYSTEM, patient_id=patient.id, today=today,
                        data=WeightCreate(measured_on=today - timedelta(days=40), weight_kg=70))
    regimens.create_regimen(session, actor=SYSTEM, patient_id=patient.id, today=today,
                            data=RegimenCreate(starts_on=today - timedelta(days=30),
                                               dose_g_per_kg=1, interval_days=28,
                                               product_code="privigen", reason="maintenance"))
    given = infusions.book_infusion(session, actor=SYSTEM, patient_id=patient.id, today=today,
                                    data=InfusionCreate(
                                        scheduled_on=today - timedelta(days=30), status="given",
                                        dose_g=70, product_code="privigen",
                                        lots=[LotInput(lot_number="P1", vials=2, size_g=40)],
                                        confirm_lot_total=True))
    booked = infusions.book_infusion(session, actor=SYSTEM, patient_id=patient.id, today=today,
                                     data=InfusionCreate(scheduled_on=today))
    assessments.record_assessment(session, actor=SYSTEM, patient_id=patient.id, today=today,
                                  data=AssessmentCreate(
                                      taken_on=today - timedelta(days=30), side="right",
                                      measure="grip_vigorimeter", value=70,
                                      timing="pre_infusion"))
    assessments.record_review(session, actor=SYSTEM, patient_id=patient.id, today=today,
                              data=ReviewCreate(reviewed_on=today - timedelta(days=2),
                                                outcome="continue"))
    diagnosis.record_diagnosis(session, actor=SYSTEM, patient_id=patient.id, today=today,
                               data=DiagnosisCreate(assessed_on=today - timedelta(days=1),
                                                    symptom_onset_on=today - timedelta(days=90),
                                                    weak_nerves=2, notes="Wrist drop"))
    message = OutboxMessage(dedup_key="security-test", kind="infusion_reminder",
                            patient_id=patient.id, to_address="ann@example.org",
                            subject=f"Reminder for {given_name} {family_name}",
                            body_text="Your infusion", status="pending")
    session.add(message)
    account = staff.create_user(session, actor=SYSTEM, username="lab.system", role="viewer",
                                password=staff_admin.new_random_password())
    _token, row = staff_admin.issue_integration_token(session, actor=SYSTEM,
                                                      user_id=account.id, name="lab", days=30)
    session.commit()
    return World(patient_id=patient.id, infusion_id=booked.id, given_infusion_id=given.id,
                 message_id=message.id, user_id=account.id, token_id=row.id)
