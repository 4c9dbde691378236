"""Weights through the API: the one that counts on a day, the jump to confirm, the regimen's own."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tracker.formats.display import date_text
from tracker.services import patients as patient_service
from tracker.store.models import AuditEvent, Regimen, Weight

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


def _patient(client, headers, **overrides) -> int:
    body = {
        "mrn": "W-1",
        "given_name": "Wendy",
        "family_name": "Weigh",
        "birth_date": "1970-05-01",
        "sex": "female",
        "height_cm": 160,
    } | overrides
    answer = client.post("/api/v1/patients", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _weigh(client, headers, pid, day: date, kg: float, **extra):
    return client.post(
        f"/api/v1/patients/{pid}/weights",
        headers=headers,
        json={"measured_on": day.isoformat(), "weight_kg": kg, **extra},
    )


def _weights(session, pid) -> list[float]:
    session.expire_all()
    return [
        w.weight_kg
        for w in session.exec(select(Weight).where(Weight.patient_id == pid).order_by(Weight.id))
    ]


def test_a_jump_of_more_than_ten_percent_is_refused_naming_weight_kg(client, pharmacist, session):
    pid = _patient(client, pharmacist)
    first = TODAY - timedelta(days=30)
    assert _weigh(client, pharmacist, pid, first, 70).status_code == 201
    refused = _weigh(client, pharmacist, pid, TODAY, 154)
    assert refused.status_code == 422
    (detail,) = refused.json()["detail"]
    assert detail["loc"] == ["body", "weight_kg"]
    assert detail["msg"] == (
        f"154 kg is 120% more than 70 kg on {date_text(first)}; if this is right, confirm the "
        "change (confirm_weight_change); lb typed as kg is the usual cause (154 lb = 69.85 kg)"
    )
    assert _weights(session, pid) == [70]  # nothing saved


def test_a_confirmed_jump_is_saved_and_the_confirmation_audited(client, pharmacist, session):
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY - timedelta(days=30), 70)
    kept = _weigh(client, pharmacist, pid, TODAY, 80, confirm_weight_change=True)
    assert kept.status_code == 201, kept.text
    assert _weights(session, pid) == [70, 80]
    entry = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "weight.create")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert entry.changes["confirm_weight_change"] is True
    assert entry.changes["previous_weight_kg"] == 70
    assert entry.changes["change_percent"] == pytest.approx(14.3)


def test_within_ten_percent_and_the_first_weight_need_no_confirmation(client, pharmacist):
    pid = _patient(client, pharmacist)
    assert _weigh(client, pharmacist, pid, TODAY - timedelta(days=30), 154).status_code == 201
    assert _weigh(client, pharmacist, pid, TODAY, 154 * 1.1).status_code == 201
    # An unneeded confirmation is harmless.
    assert (
        _weigh(client, pharmacist, pid, TODAY, 169, confirm_weight_change=True).status_code == 201
    )


def test_the_previous_weight_is_the_same_day_one_when_there_is_one(client, pharmacist):
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY - timedelta(days=30), 70)
    assert (
        _weigh(client, pharmacist, pid, TODAY, 100, confirm_weight_change=True).status_code == 201
    )
    # 105 is 50% above 70 but 5% above today's 100: today's is the previous one.
    assert _weigh(client, pharmacist, pid, TODAY, 105).status_code == 201
    refused = _weigh(client, pharmacist, pid, TODAY, 70)
    assert refused.status_code == 422 and "than 105 kg" in refused.json()["detail"][0]["msg"]


def test_a_back_dated_weight_is_compared_with_the_one_before_its_day(client, pharmacist):
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY - timedelta(days=60), 70)
    _weigh(client, pharmacist, pid, TODAY, 100, confirm_weight_change=True)
    # 72 on day -30: its previous is 70 (day -60), not today's 100, which comes after it.
    assert _weigh(client, pharmacist, pid, TODAY - timedelta(days=30), 72).status_code == 201


def test_a_weight_dated_after_the_day_never_counts(client, pharmacist, session):
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY, 70)
    _weigh(client, pharmacist, pid, TODAY - timedelta(days=10), 72)  # entered after the fact
    on = patient_service.weight_on(session, patient_id=pid, day=TODAY - timedelta(days=1))
    assert on.weight_kg == 72
    assert patient_service.weight_on(session, patient_id=pid, day=TODAY).weight_kg == 70
    assert (
        patient_service.weight_on(session, patient_id=pid, day=TODAY - timedelta(days=11)) is None
    )


def test_the_same_day_tie_goes_to_the_later_record(client, pharmacist, session):
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY, 72)
    _weigh(client, pharmacist, pid, TODAY, 71)
    assert patient_service.weight_on(session, patient_id=pid, day=TODAY).weight_kg == 71


def test_the_regimen_shows_its_own_dosing_weight_and_note_after_a_later_weight(
    client,
    pharmacist,
    session,
):
    # Worked example: female, 160 cm, 95 kg -> adjusted 69.43 kg, 70 g.
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY - timedelta(days=20), 95)
    made = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={
            "starts_on": (TODAY - timedelta(days=14)).isoformat(),
            "dose_g_per_kg": 1.0,
            "interval_days": 28,
        },
    ).json()
    assert made["dosing_weight_kg"] == pytest.approx(69.43, abs=0.005)
    note = made["weight_note"]
    assert note.startswith("adjusted weight") and "95" in note
    # A later weight (BMI now under 30) does not rewrite what the regimen was dosed on.
    _weigh(client, pharmacist, pid, TODAY, 72, confirm_weight_change=True)
    shown = client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json()[0]
    assert shown["dosing_weight_kg"] == made["dosing_weight_kg"]
    assert shown["weight_note"] == note and shown["actual_weight_kg"] == 95
    stored = session.get(Regimen, made["id"])
    assert (stored.actual_weight_kg, stored.weight_note) == (95, note)


def test_an_old_regimen_without_a_kept_note_is_explained_on_its_own_weight(
    client,
    pharmacist,
    session,
):
    pid = _patient(client, pharmacist)
    _weigh(client, pharmacist, pid, TODAY - timedelta(days=20), 95)
    made = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=pharmacist,
        json={
            "starts_on": (TODAY - timedelta(days=14)).isoformat(),
            "dose_g_per_kg": 1.0,
            "interval_days": 28,
        },
    ).json()
    regimen = session.get(Regimen, made["id"])
    note = regimen.weight_note
    regimen.weight_note = regimen.actual_weight_kg = None  # as written before they were kept
    session.commit()
    _weigh(client, pharmacist, pid, TODAY, 72, confirm_weight_change=True)
    shown = client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json()[0]
    assert shown["weight_note"] == note
