"""Lot recall finds exactly the patients who were given the lot, as a page, JSON and CSV."""

import csv
import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.pages import log_in
from tests.builders.records import give
from tracker.schemas.patients import PatientCreate, WeightCreate
from tracker.schemas.treatment import LotInput
from tracker.services import patients
from tracker.services.actors import SYSTEM
from tracker.services.recall import lot_recall
from tracker.store.models import AuditEvent


def _patient(session, mrn, family, today):
    patient = patients.create_patient(
        session,
        actor=SYSTEM,
        today=today,
        data=PatientCreate(
            mrn=mrn,
            given_name="Pat",
            family_name=family,
            birth_date=date(1960, 1, 1),
            sex="female",
            height_cm=165,
            email=f"{mrn.lower()}@example.org",
        ),
    )
    patients.add_weight(
        session,
        actor=SYSTEM,
        patient_id=patient.id,
        today=today,
        data=WeightCreate(measured_on=today - timedelta(days=200), weight_kg=70),
    )
    return patient.id


@pytest.fixture
def cohort(session):
    """Ames and Baker were given lot LOT-9; Chen only lots whose numbers merely look like
    it; Dunn was given nothing."""
    today = date.today()
    ames, baker, chen, _dunn = (
        _patient(session, f"R-{n}", name, today)
        for n, name in enumerate(("Ames", "Baker", "Chen", "Dunn"), start=1)
    )
    expiry = today + timedelta(days=300)
    give(
        session,
        ames,
        today - timedelta(days=60),
        today=today,
        product_code="privigen",
        lots=[LotInput(lot_number="LOT-9", vials=7, size_g=10, expires_on=expiry)],
    )
    give(
        session,
        ames,
        today - timedelta(days=30),
        today=today,
        lots=[
            LotInput(lot_number="LOT-9", vials=3, size_g=10, expires_on=expiry),
            LotInput(lot_number="OTHER-1", vials=4, size_g=10),
        ],
    )
    give(
        session,
        ames,
        today - timedelta(days=2),
        today=today,
        lots=[LotInput(lot_number="NEW-5", vials=7, size_g=10)],
    )
    give(
        session,
        baker,
        today - timedelta(days=20),
        today=today,
        dose_g=40,
        lots=[LotInput(lot_number="lot-9", vials=2, size_g=20)],
    )
    give(
        session,
        chen,
        today - timedelta(days=20),
        today=today,
        lots=[
            LotInput(lot_number="LOT-90", vials=7, size_g=10),
            LotInput(lot_number="XLOT-9", vials=1, size_g=10),
        ],
    )
    session.commit()
    return {"ames": ames, "baker": baker, "chen": chen, "today": today}


def test_recall_finds_exactly_the_patients_who_received_the_lot(session, cohort):
    rows = lot_recall(session, actor=SYSTEM, lot="  LOT-9 ", via="test")
    today = cohort["today"]
    assert {r.patient_id for r in rows} == {cohort["ames"], cohort["baker"]}
    assert [(r.family_name, r.given_on, r.vials, r.dose_g) for r in rows] == [
        ("Ames", today - timedelta(days=60), 7, 70),
        ("Ames", today - timedelta(days=30), 3, 70),
        ("Baker", today - timedelta(days=20), 2, 40),
    ]
    assert rows[0].expires_on == today + timedelta(days=300)
    assert (rows[0].product, rows[1].product) == ("Privigen 10%", None)
    assert rows[2].email == "r-2@example.org"
    session.commit()  # the audit entry is written with the commit
    (entry,) = session.exec(select(AuditEvent).where(AuditEvent.action == "recall.lookup"))
    assert entry.changes["patient_ids"] == sorted([cohort["ames"], cohort["baker"]])
    assert entry.changes["lot"] == "LOT-9"
    assert lot_recall(session, actor=SYSTEM, lot="LOT-91", via="test") == []


def test_api_answers_json_and_csv_for_pharmacists_only(client, api_as, cohort):
    headers = api_as("pharmacist")
    answer = client.get("/api/v1/recall", params={"lot": "lot-9"}, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["patients"] == 2 and len(body["courses"]) == 3
    assert {c["mrn"] for c in body["courses"]} == {"R-1", "R-2"}
    as_csv = client.get("/api/v1/recall", params={"lot": "LOT-9", "format": "csv"}, headers=headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["mrn"], r["vials"], r["size_g"]) for r in table] == [
        ("R-1", "7", "10"),
        ("R-1", "3", "10"),
        ("R-2", "2", "20"),
    ]
    assert (
        client.get("/api/v1/recall", params={"lot": "LOT-9"}, headers=api_as("nurse")).status_code
        == 403
    )
    assert client.get("/api/v1/recall", headers=headers).status_code == 422
    assert client.get("/api/v1/recall", params={"lot": "LOT-9"}).status_code == 401


def test_recall_page_and_its_csv(client, make_user, cohort):
    log_in(client, make_user, "pharmacist")
    empty = client.get("/recall")
    assert empty.status_code == 200 and 'name="lot"' in empty.text
    page = client.get("/recall", params={"lot": "LOT-9"})
    assert page.status_code == 200
    assert "2 patients, 3 courses" in page.text
    assert "Ames, Pat" in page.text and "Baker, Pat" in page.text
    assert "Chen" not in page.text
    download = client.get("/recall.csv", params={"lot": "LOT-9"})
    assert download.headers["content-disposition"] == 'attachment; filename="recall-LOT-9.csv"'
    assert download.text.count("\n") == 4  # header and three courses
    assert client.get("/recall.csv", follow_redirects=False).status_code == 303


def test_nurses_cannot_open_the_recall_page(client, make_user, cohort):
    log_in(client, make_user, "nurse")
    assert client.get("/recall", params={"lot": "LOT-9"}).status_code == 403


def test_one_lot_in_two_vial_sizes_is_two_lines_with_their_own_sizes(session):
    # 2 x 30 g and 1 x 20 g of lot L9 in one course were one line of 3 vials of 30 g (90 g
    # for an 80 g course); the same lot entered twice at one size stays one line.
    today = date.today()
    pid = _patient(session, "R-9", "Evans", today)
    give(
        session,
        pid,
        today - timedelta(days=3),
        today=today,
        dose_g=80,
        lots=[
            LotInput(lot_number="L9", vials=2, size_g=30),
            LotInput(lot_number="L9", vials=1, size_g=20),
        ],
    )
    give(
        session,
        pid,
        today - timedelta(days=33),
        today=today,
        dose_g=80,
        lots=[LotInput(lot_number="L9", vials=2, size_g=20)] * 2,
    )
    session.commit()
    rows = lot_recall(session, actor=SYSTEM, lot="L9", via="test")
    assert sorted((r.given_on, r.vials, r.size_g) for r in rows) == [
        (today - timedelta(days=33), 4, 20),
        (today - timedelta(days=3), 1, 20),
        (today - timedelta(days=3), 2, 30),
    ]
