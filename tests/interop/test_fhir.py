"""FHIR R4: every resource the tracker emits is valid by fhir.resources (R4B models, the R4
line), and carries the codes, units and statuses the issue asks for."""

import json
from datetime import date, timedelta

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import select

from tests.builders.records import patient_with_history
from tracker.demo import load_demo
from tracker.interop.fhir.codes import LBF_PER_KGF
from tracker.interop.fhir.export import RESOURCE_TYPES, write_bulk_ndjson
from tracker.schemas.authorizations import AuthorizationCreate
from tracker.services import authorizations
from tracker.services.actors import SYSTEM
from tracker.services.evaluation import refresh_all
from tracker.store.models import (
    Assessment,
    AuditEvent,
    FundingAuthorization,
    Infusion,
    Patient,
    Regimen,
)

LOINC = "http://loinc.org"


def validated(resource: dict) -> dict:
    """The resource after fhir.resources has parsed it (raises when it is not valid R4)."""
    model = get_fhir_model_class(resource["resourceType"])
    parsed = model.model_validate(resource)
    assert parsed.get_resource_type() == resource["resourceType"]
    # Nothing is dropped by the parse: every field we wrote is a field of the model.
    again = json.loads(parsed.model_dump_json(exclude_none=True))
    assert set(again) == set(resource)
    return resource


@pytest.fixture
def fhir_bundle(client, api_as, session):
    today = date.today()
    history = patient_with_history(session, today=today)
    session.commit()
    headers = api_as("viewer")
    answer = client.get(f"/api/v1/patients/{history.patient_id}/fhir", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    return history, answer.json()


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_bundle_and_every_resource_in_it_are_valid_r4(fhir_bundle):
    history, bundle = fhir_bundle
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    for entry in bundle["entry"]:
        resource = validated(entry["resource"])
        assert entry["fullUrl"].endswith(f"/fhir/{resource['resourceType']}/{resource['id']}")
    counts = {kind: len(by_type(bundle, kind)) for kind in RESOURCE_TYPES}
    # 4 given courses; a booked, a cancelled and a missed one make 7 appointments.
    assert counts == {
        "Patient": 1,
        "MedicationRequest": 1,
        "MedicationAdministration": 4,
        "Observation": 11,
        "Appointment": 7,
        "Coverage": 0,
    }


def test_patient_is_identified_by_mrn_with_stable_ids(fhir_bundle):
    history, bundle = fhir_bundle
    (patient,) = by_type(bundle, "Patient")
    assert patient["id"] == f"patient-{history.patient_id}"
    (identifier,) = patient["identifier"]
    assert identifier["value"] == "INT-1"
    assert identifier["system"] == "http://127.0.0.1:8000/mrn"
    assert identifier["type"]["coding"][0]["code"] == "MR"
    assert patient["name"][0] == {"use": "official", "family": "Lee", "given": ["Ann", "Marie"]}
    assert patient["gender"] == "male" and patient["birthDate"] == "1961-05-06"


def test_medication_request_has_dose_per_kg_the_calculated_dose_and_the_interval(fhir_bundle):
    history, bundle = fhir_bundle
    (request,) = by_type(bundle, "MedicationRequest")
    assert request["id"] == f"regimen-{history.regimen_ids[0]}"
    assert request["status"] == "active" and request["intent"] == "order"
    dosage = request["dosageInstruction"][0]
    assert dosage["timing"]["repeat"]["frequency"] == 1
    assert dosage["timing"]["repeat"]["period"] == 28
    assert dosage["timing"]["repeat"]["periodUnit"] == "d"
    doses = {d["type"]["coding"][0]["code"]: d["doseQuantity"] for d in dosage["doseAndRate"]}
    assert doses["ordered"] == {
        "value": 1.0,
        "unit": "g/kg",
        "system": "http://unitsofmeasure.org",
        "code": "g/kg",
    }
    # 1 g/kg for a 70 kg man of 178 cm (BMI 22): 70 g.
    assert doses["calculated"]["value"] == 70 and doses["calculated"]["code"] == "g"
    product = request["medicationCodeableConcept"]
    assert product["text"] == "Privigen 10%"
    assert {c["code"] for c in product["coding"]} == {"privigen", "J06BA02"}


def test_administration_carries_the_dose_product_and_each_lot_in_a_contained_medication(
    client, api_as, session
):
    today = date.today()
    history = patient_with_history(session, today=today)
    from tests.builders.records import give
    from tracker.schemas.treatment import LotInput

    two_lots = give(
        session,
        history.patient_id,
        today - timedelta(days=1),
        today=today,
        dose_g=70,
        lots=[
            LotInput(lot_number="A-1", vials=2, size_g=20, expires_on=today + timedelta(days=90)),
            LotInput(lot_number="B-2", vials=3, size_g=10),
        ],
    )
    session.commit()
    bundle = client.get(
        f"/api/v1/patients/{history.patient_id}/fhir", headers=api_as("viewer")
    ).json()
    given = {r["id"]: r for r in by_type(bundle, "MedicationAdministration")}
    resource = validated(given[f"infusion-{two_lots}"])
    assert resource["status"] == "completed"
    assert resource["effectiveDateTime"] == (today - timedelta(days=1)).isoformat()
    assert resource["dosage"]["dose"] == {
        "value": 70.0,
        "unit": "g",
        "system": "http://unitsofmeasure.org",
        "code": "g",
    }
    assert resource["medicationReference"] == {"reference": "#med"}
    assert resource["request"] == {
        "reference": f"MedicationRequest/regimen-{history.regimen_ids[0]}"
    }
    contained = {c["id"]: c for c in resource["contained"]}
    lots = {c["batch"]["lotNumber"]: c for c in contained.values() if "batch" in c}
    assert set(lots) == {"A-1", "B-2"}
    assert lots["A-1"]["batch"]["expirationDate"] == (today + timedelta(days=90)).isoformat()
    assert lots["A-1"]["amount"]["numerator"]["value"] == 20
    kit = contained["med"]
    vials = {
        i["itemReference"]["reference"]: i["strength"]["numerator"]["value"]
        for i in kit["ingredient"]
    }
    assert {lots[n]["id"]: v for n, v in (("A-1", 2), ("B-2", 3))} == {
        ref.removeprefix("#"): v for ref, v in vials.items()
    }
    # The course with a reaction says so.
    assert any(
        "Reactions: headache" in n["text"] for r in given.values() for n in r.get("note", [])
    )


def test_dynamometer_grip_is_loinc_in_pounds_force_and_the_vigorimeter_is_not_loinc(fhir_bundle):
    _, bundle = fhir_bundle
    observations = by_type(bundle, "Observation")
    loinc = {
        o["code"]["coding"][0]["code"]: o
        for o in observations
        if o["code"]["coding"][0]["system"] == LOINC
    }
    assert set(loinc) == {"83173-5", "83174-3"}
    left, right = loinc["83173-5"], loinc["83174-3"]
    assert left["bodySite"]["coding"][0]["code"] == "85151006"  # left hand
    assert right["bodySite"]["coding"][0]["code"] == "78791008"  # right hand
    assert left["valueQuantity"]["code"] == "[lbf_av]"
    assert left["valueQuantity"]["value"] == round(30 * LBF_PER_KGF, 2) == 66.14
    assert right["valueQuantity"]["value"] == round(25 * LBF_PER_KGF, 2)
    assert left["category"][0]["coding"][0]["code"] == "exam"
    vigorimeter = [o for o in observations if o["code"]["coding"][0]["code"] == "grip_vigorimeter"]
    assert len(vigorimeter) == 3
    assert all(o["valueQuantity"]["code"] == "kPa" for o in vigorimeter)
    assert all(
        o["code"]["coding"][0]["system"].endswith("/fhir/CodeSystem/measure") for o in vigorimeter
    )
    units = {o["code"]["coding"][0]["code"]: o["valueQuantity"]["code"] for o in observations}
    assert units["mrc_sum"] == units["incat"] == units["onls"] == "{score}"
    assert units["rods"] == "{centile}" and units["wear_off_day"] == "d"
    categories = {
        o["code"]["coding"][0]["code"]: o["category"][0]["coding"][0]["code"] for o in observations
    }
    assert categories["wear_off_day"] == categories["rods"] == "survey"
    assert all(o["status"] == "final" for o in observations)
    # A score taken at a given course points at that administration.
    linked = [o for o in vigorimeter if "partOf" in o]
    assert len(linked) == 2
    assert all(
        o["partOf"][0]["reference"].startswith("MedicationAdministration/infusion-") for o in linked
    )


def test_appointments_map_given_missed_and_cancelled_courses(fhir_bundle):
    history, bundle = fhir_bundle
    appointments = {a["id"]: a for a in by_type(bundle, "Appointment")}
    status = {k: a["status"] for k, a in appointments.items()}
    assert status[f"appointment-{history.booked_id}"] == "booked"
    assert status[f"appointment-{history.cancelled_id}"] == "cancelled"
    assert status[f"appointment-{history.missed_id}"] == "noshow"
    assert all(status[f"appointment-{i}"] == "fulfilled" for i in history.given_ids)
    booked = appointments[f"appointment-{history.booked_id}"]
    # 09:30 in the site's zone (UTC in the tests) for the estimated chair time.
    assert booked["start"].endswith("T09:30:00+00:00")
    assert booked["minutesDuration"] > 0
    assert {"display": "Chair 1"} in [p["actor"] for p in booked["participant"]]
    cancelled = appointments[f"appointment-{history.cancelled_id}"]
    assert cancelled["cancelationReason"] == {"text": "patient unwell"}


def test_each_funding_authorisation_is_a_coverage_with_its_payer_period_and_figures(
    client, api_as, session
):
    today = date.today()
    history = patient_with_history(session, today=today)
    first = today - timedelta(days=7 + 28 * 3)

    def authorize(**data):
        return authorizations.create_authorization(
            session,
            actor=SYSTEM,
            patient_id=history.patient_id,
            today=today,
            data=AuthorizationCreate(**data),
        ).id

    # The four given courses (70 g each) and the booking in three weeks fall in the first.
    limited = authorize(
        payer="NHS England",
        reference="PA-1",
        starts_on=first - timedelta(days=1),
        ends_on=today + timedelta(days=60),
        approved_g=500,
        approved_courses=8,
    )
    open_ended = authorize(
        payer="Blue Cross",
        reference="BC-9",
        starts_on=today + timedelta(days=61),
        ends_on=today + timedelta(days=400),
    )
    session.commit()
    bundle = client.get(
        f"/api/v1/patients/{history.patient_id}/fhir", headers=api_as("viewer")
    ).json()
    coverages = {c["id"]: validated(c) for c in by_type(bundle, "Coverage")}
    assert set(coverages) == {f"authorization-{limited}", f"authorization-{open_ended}"}
    assert any(
        e["fullUrl"].endswith(f"/fhir/Coverage/authorization-{limited}") for e in bundle["entry"]
    )
    nhs = coverages[f"authorization-{limited}"]
    assert nhs["status"] == "active"
    assert nhs["beneficiary"] == {"reference": f"Patient/patient-{history.patient_id}"}
    assert nhs["payor"] == [{"display": "NHS England"}]
    assert nhs["identifier"] == [{"value": "PA-1"}]
    assert nhs["period"] == {
        "start": (first - timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=60)).isoformat(),
    }
    base = "http://127.0.0.1:8000/fhir/StructureDefinition/authorization-"
    figures = {e["url"].removeprefix(base): e for e in nhs["extension"]}
    assert all(e["url"].startswith(base) for e in nhs["extension"])
    assert figures["approved-grams"]["valueQuantity"] == {
        "value": 500.0,
        "unit": "g",
        "system": "http://unitsofmeasure.org",
        "code": "g",
    }
    assert figures["approved-courses"] == {"url": base + "approved-courses", "valuePositiveInt": 8}
    assert figures["used-grams"]["valueQuantity"]["value"] == 280
    assert figures["used-courses"]["valueUnsignedInt"] == 4
    assert figures["booked-grams"]["valueQuantity"]["value"] == 70
    assert figures["booked-courses"]["valueUnsignedInt"] == 1
    # No limit is no extension; nothing charged to it yet.
    blue = coverages[f"authorization-{open_ended}"]
    assert blue["payor"] == [{"display": "Blue Cross"}]
    used = {e["url"].removeprefix(base): e for e in blue["extension"]}
    assert set(used) == {"used-grams", "used-courses", "booked-grams", "booked-courses"}
    assert used["used-courses"]["valueUnsignedInt"] == 0
    assert used["booked-grams"]["valueQuantity"]["value"] == 0


def test_the_route_needs_a_login_records_a_view_and_knows_unknown_patients(client, api_as, session):
    history = patient_with_history(session, today=date.today())
    session.commit()
    url = f"/api/v1/patients/{history.patient_id}/fhir"
    assert client.get(url).status_code == 401
    headers = api_as("viewer")
    assert client.get("/api/v1/patients/999999/fhir", headers=headers).status_code == 404
    before = len(session.exec(select(AuditEvent).where(AuditEvent.action == "patient.view")).all())
    assert client.get(url, headers=headers).status_code == 200
    views = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.view")).all()
    assert len(views) == before + 1
    assert views[-1].patient_id == history.patient_id
    assert views[-1].changes == {"viewed": "fhir"}


def test_bulk_ndjson_writes_every_patient_valid_in_batches(session, tmp_path, settings):
    today = date(2026, 3, 1)
    load_demo(session, patients=12, seed=3, today=today)
    refresh_all(session, today=today)
    seen = []
    counts = write_bulk_ndjson(
        session,
        out_dir=tmp_path,
        today=today,
        settings=settings,
        batch_size=5,
        progress=lambda done, total: seen.append(done),
    )
    assert seen == [5, 10, 12]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{k}.ndjson" for k in RESOURCE_TYPES
    )
    expected = {
        "Patient": len(session.exec(select(Patient.id)).all()),
        "MedicationRequest": len(session.exec(select(Regimen.id)).all()),
        "MedicationAdministration": len(
            session.exec(select(Infusion.id).where(Infusion.status == "given")).all()
        ),
        "Observation": len(session.exec(select(Assessment.id)).all()),
        "Appointment": len(session.exec(select(Infusion.id)).all()),
        "Coverage": len(session.exec(select(FundingAuthorization.id)).all()),
    }
    assert counts == expected
    for kind in RESOURCE_TYPES:
        lines = (tmp_path / f"{kind}.ndjson").read_text().splitlines()
        assert len(lines) == expected[kind]
        ids = set()
        for line in lines:
            resource = validated(json.loads(line))
            assert resource["resourceType"] == kind
            ids.add(resource["id"])
        assert len(ids) == len(lines)  # stable, unique ids
