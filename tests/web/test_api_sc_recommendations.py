"""Clinical rules 6 and 9: a recommendation for an SC regimen proposes only what the regimen
API records (an SC interval of 7 or 14 days), so accepting it always gives a new regimen."""

from datetime import date, timedelta

import pytest

from tests.builders.api import give, iso, patient_with_regimen

TODAY = date.today()


def stable_sc_patient(client, headers, *, interval_days: int, dose_g_per_kg: float) -> int:
    """An SC patient 200 days into a regimen, every cycle with a wear-off report too late to
    count as wear-off: stable, so a taper is due (clinical rules 6.3)."""
    start = TODAY - timedelta(days=200)
    pid = patient_with_regimen(client, headers, starts_on=start - timedelta(days=56))
    answer = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=headers,
        json={
            "starts_on": iso(start),
            "dose_g_per_kg": dose_g_per_kg,
            "interval_days": interval_days,
            "route": "sc",
            "reason": "home SCIG",
        },
    )
    assert answer.status_code == 201, answer.text
    days = [start + timedelta(days=k * interval_days) for k in range(200 // interval_days + 1)]
    for day in days:
        give(client, headers, pid, day, dose_g=20)
    # A report on the cycle's last day: the cycle has data and shows no wear-off.
    for day in days[1:]:
        answer = client.post(
            f"/api/v1/patients/{pid}/assessments",
            headers=headers,
            json={
                "taken_on": iso(day),
                "measure": "wear_off_day",
                "value": interval_days,
                "timing": "clinic",
                "source": "home",
            },
        )
        assert answer.status_code == 201, answer.text
    return pid


@pytest.mark.parametrize(
    ("interval_days", "dose", "proposed_interval", "proposed_dose"),
    [
        # Weekly: the taper lengthens to the other SC interval, fortnightly.
        (7, 0.25, 14, None),
        # Fortnightly: no longer SC interval exists (21 days would be refused with 422), so
        # the taper lowers the dose by a quarter instead, as at the IV rules' longest interval.
        (14, 0.5, None, 0.38),
    ],
)
def test_an_sc_taper_proposes_what_the_regimen_api_records(
    client, api_as, interval_days, dose, proposed_interval, proposed_dose
):
    pharmacist = api_as("pharmacist")
    pid = stable_sc_patient(client, pharmacist, interval_days=interval_days, dose_g_per_kg=dose)
    schedule = client.get(f"/api/v1/patients/{pid}/schedule", headers=pharmacist).json()
    rec = schedule["recommendation"]
    assert rec["action"] == "consider_taper", schedule
    assert (rec["proposed_interval_days"], rec["proposed_dose_g_per_kg"]) == (
        proposed_interval,
        proposed_dose,
    )
    accepted = client.post(
        f"/api/v1/patients/{pid}/recommendation/accept", headers=pharmacist, json={}
    )
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["route"] == "sc"
    assert body["interval_days"] == (proposed_interval or interval_days)
    assert body["dose_g_per_kg"] == (proposed_dose or dose)
