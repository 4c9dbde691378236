"""Issue 19, care at home: clinical rules 9 (routes, the IV-to-SC converter, SC response)
and 10 (scores the patient records at home), sentence by sentence, through the API."""

from datetime import date, timedelta

import pytest

from tests.builders.api import give, iso, patient_with_regimen

TODAY = date.today()


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


def schedule(client, headers, pid) -> dict:
    answer = client.get(f"/api/v1/patients/{pid}/schedule", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def waning(body: dict) -> list[str] | None:
    found = [f for f in body["flags"] if f["code"] == "waning_response"]
    return found[0]["patterns"] if found else None


def regimen(client, headers, pid, **body):
    body = {"starts_on": iso(TODAY), "dose_g_per_kg": 0.25, "interval_days": 7} | body
    return client.post(f"/api/v1/patients/{pid}/regimens", headers=headers, json=body)


def score(client, headers, pid, day, value, timing, source=None, measure="grip_vigorimeter"):
    body = {
        "taken_on": iso(day),
        "measure": measure,
        "side": "right" if measure.startswith("grip") else None,
        "value": value,
        "timing": timing,
    }
    if source is not None:
        body["source"] = source
    answer = client.post(f"/api/v1/patients/{pid}/assessments", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def convert(client, headers, pid, **body):
    return client.post(f"/api/v1/patients/{pid}/regimens/convert-to-sc", headers=headers, json=body)


# ---- section 9: routes -------------------------------------------------------------------


def test_a_regimen_is_iv_unless_it_says_sc(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY)
    (only,) = client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json()
    assert only["route"] == "iv"


@pytest.mark.parametrize("interval", [7, 14])
def test_sc_weekly_or_fortnightly_needs_no_override(client, pharmacist, interval):
    # The IV bounds (14 to 42 days) do not apply: weekly SC needs no override reason.
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=90))
    answer = regimen(client, pharmacist, pid, route="sc", interval_days=interval)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["route"], body["interval_days"], body["override_reason"]) == (
        "sc",
        interval,
        None,
    )


@pytest.mark.parametrize("interval", [5, 10, 21, 28])
def test_sc_at_another_interval_is_refused_even_with_an_override(client, pharmacist, interval):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=90))
    for extra in ({}, {"override_reason": "the neurologist asks"}):
        answer = regimen(client, pharmacist, pid, route="sc", interval_days=interval, **extra)
        assert answer.status_code == 422, answer.text
        assert "interval_days" in answer.text


def test_an_unknown_route_is_refused(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=90))
    assert regimen(client, pharmacist, pid, route="im").status_code == 422


def test_iv_weekly_still_needs_an_override(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=90))
    assert regimen(client, pharmacist, pid, route="iv").status_code == 422


def test_an_sc_dose_is_rounded_to_the_sc_step(client, pharmacist):
    # 0.25 g/kg x 70 kg = 17.5 g: 18 g to the nearest gram (an IV dose would be 20 g).
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=90))
    assert regimen(client, pharmacist, pid, route="sc").json()["dose_g"] == 18


def test_the_sc_window_is_the_due_day_plus_or_minus_the_sc_tolerance(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=90))
    regimen(client, pharmacist, pid, route="sc", starts_on=iso(TODAY - timedelta(days=10)))
    give(client, pharmacist, pid, TODAY - timedelta(days=3), dose_g=18)
    body = schedule(client, pharmacist, pid)
    due = TODAY + timedelta(days=4)
    assert (body["due_on"], body["window_start"], body["window_end"]) == (
        iso(due),
        iso(due - timedelta(days=1)),
        iso(due + timedelta(days=1)),
    )


def test_the_policy_has_the_sc_keys(client, pharmacist, api_as):
    body = client.get("/api/v1/policy", headers=pharmacist).json()
    assert (
        body["sc_conversion_factor"],
        body["sc_dose_rounding_g"],
        body["sc_tolerance_days"],
    ) == (1.0, 1, 1)
    admin = api_as("admin")
    bad = client.put("/api/v1/policy", headers=admin, json={"sc_tolerance_days": 9})
    assert bad.status_code == 422 and "sc_tolerance_days" in bad.text
    good = client.put("/api/v1/policy", headers=admin, json={"sc_conversion_factor": 1.2})
    assert good.status_code == 200, good.text
    assert good.json()["sc_conversion_factor"] == 1.2


# ---- section 9: the converter ------------------------------------------------------------


def test_converting_70_g_every_28_days_to_weekly_gives_18_g(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    give(client, pharmacist, pid, TODAY - timedelta(days=10))
    answer = convert(client, pharmacist, pid, interval_days=7)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    # 70 x 7/28 x 1.0 = 17.5 -> 18 g, from the day the next IV course was due.
    assert (body["route"], body["interval_days"], body["dose_g"]) == ("sc", 7, 18)
    assert body["starts_on"] == iso(TODAY + timedelta(days=18))
    assert "70 × 7/28 × 1.0 = 17.5 → 18 g" in body["reason"]
    assert len(client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json()) == 2


def test_fortnightly_conversion_and_the_conversion_day(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    give(client, pharmacist, pid, TODAY - timedelta(days=30))
    # The IV course was due already: the SC regimen starts on the conversion day asked.
    later = TODAY + timedelta(days=3)
    body = convert(client, pharmacist, pid, interval_days=14, on=iso(later)).json()
    assert (body["dose_g"], body["starts_on"]) == (35, iso(later))


def test_conversion_without_any_course_starts_today(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=5))
    body = convert(client, pharmacist, pid, interval_days=7).json()
    assert body["starts_on"] == iso(TODAY)


def test_conversion_uses_the_policy_factor_and_rounding(client, pharmacist, api_as):
    admin = api_as("admin")
    answer = client.put(
        "/api/v1/policy",
        headers=admin,
        json={"sc_conversion_factor": 1.25, "sc_dose_rounding_g": 5},
    )
    assert answer.status_code == 200, answer.text
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    # 70 x 7/28 x 1.25 = 21.875 -> 20 g to the nearest 5 g.
    assert convert(client, pharmacist, pid, interval_days=7).json()["dose_g"] == 20


@pytest.mark.parametrize("interval", [1, 10, 28])
def test_conversion_to_another_interval_is_refused(client, pharmacist, interval):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    assert convert(client, pharmacist, pid, interval_days=interval).status_code == 422


def test_conversion_needs_a_current_iv_regimen(client, pharmacist):
    answer = client.post(
        "/api/v1/patients",
        headers=pharmacist,
        json={
            "mrn": "SC-NONE",
            "given_name": "Ann",
            "family_name": "Lee",
            "birth_date": "1970-02-03",
            "sex": "female",
        },
    )
    pid = answer.json()["id"]
    assert convert(client, pharmacist, pid, interval_days=7).status_code == 409
    pid = patient_with_regimen(client, pharmacist, mrn="SC-TWICE", starts_on=TODAY)
    assert convert(client, pharmacist, pid, interval_days=7).status_code == 201
    # Already SC from today: nothing IV to convert.
    assert convert(client, pharmacist, pid, interval_days=14).status_code == 409


def test_a_nurse_may_not_convert(client, api_as, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    assert convert(client, api_as("nurse"), pid, interval_days=7).status_code == 403


def test_the_sc_regimen_is_the_current_one_from_its_start(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    give(client, pharmacist, pid, TODAY - timedelta(days=28))
    new = convert(client, pharmacist, pid, interval_days=7).json()
    body = schedule(client, pharmacist, pid)
    assert body["regimen_id"] == new["id"]
    # No SC course given yet: due on its start day, window the SC tolerance after it.
    assert (body["due_on"], body["window_end"]) == (iso(TODAY), iso(TODAY + timedelta(days=1)))


# ---- section 9: response under SC ---------------------------------------------------------


def sc_patient(client, headers, mrn, weeks, start_days_ago=70):
    pid = patient_with_regimen(
        client, headers, mrn=mrn, starts_on=TODAY - timedelta(days=start_days_ago + 60)
    )
    first = TODAY - timedelta(days=start_days_ago)
    answer = regimen(client, headers, pid, route="sc", starts_on=iso(first))
    assert answer.status_code == 201, answer.text
    days = [first + timedelta(days=7 * k) for k in range(weeks + 1)]
    for day in days:
        give(client, headers, pid, day, dose_g=18)
    return pid, days


def test_sc_has_no_end_of_dose_waning(client, pharmacist):
    # Peaks after and troughs before every course that would wear off under IV.
    pid, days = sc_patient(client, pharmacist, "SC-EOD", 4)
    for k, day in enumerate(days):
        if k:
            score(client, pharmacist, pid, day, 48, "pre_infusion")
        if k < len(days) - 1:
            score(client, pharmacist, pid, day + timedelta(days=1), 62, "post_infusion")
    assert waning(schedule(client, pharmacist, pid)) is None


def test_under_sc_every_score_is_a_trough_and_progressive_waning_is_evaluated(client, pharmacist):
    # Clinic-timed scores mid-cycle: troughs under SC. 60 kPa, then 48 in the last two.
    pid, days = sc_patient(client, pharmacist, "SC-PROG", 5)
    values = [60, 60, 60, 48, 48]
    for day, value in zip(days, values, strict=False):
        score(client, pharmacist, pid, day + timedelta(days=3), value, "clinic")
    assert waning(schedule(client, pharmacist, pid)) == ["progressive"]


def test_under_sc_a_post_infusion_score_is_a_trough_too(client, pharmacist):
    pid, days = sc_patient(client, pharmacist, "SC-POST", 5)
    values = [60, 60, 60, 48, 48]
    for day, value in zip(days, values, strict=False):
        score(client, pharmacist, pid, day + timedelta(days=1), value, "post_infusion")
    assert waning(schedule(client, pharmacist, pid)) == ["progressive"]


def test_under_sc_the_last_score_of_a_cycle_is_its_trough(client, pharmacist):
    # Each cycle's earlier low score is followed by a good one: no decline.
    pid, days = sc_patient(client, pharmacist, "SC-LAST", 5)
    for k, day in enumerate(days[:5]):
        score(client, pharmacist, pid, day + timedelta(days=2), 48 if k >= 3 else 60, "clinic")
        score(client, pharmacist, pid, day + timedelta(days=5), 60, "clinic")
    assert waning(schedule(client, pharmacist, pid)) is None


# ---- section 10: scores the patient records at home ---------------------------------------


def test_an_assessment_is_a_clinic_one_unless_it_says_home(client, pharmacist):
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY)
    assert score(client, pharmacist, pid, TODAY, 50, "clinic")["source"] == "clinic"
    assert score(client, pharmacist, pid, TODAY, 51, "clinic", "home")["source"] == "home"
    listed = client.get(f"/api/v1/patients/{pid}/assessments", headers=pharmacist).json()
    assert [a["source"] for a in listed] == ["clinic", "home"]
    bad = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=pharmacist,
        json={
            "taken_on": iso(TODAY),
            "measure": "mrc_sum",
            "value": 50,
            "timing": "clinic",
            "source": "ward",
        },
    )
    assert bad.status_code == 422


def iv_patient(client, headers, mrn):
    first = TODAY - timedelta(days=60)
    pid = patient_with_regimen(client, headers, mrn=mrn, starts_on=first)
    days = [first, first + timedelta(days=28), first + timedelta(days=56)]
    for day in days:
        give(client, headers, pid, day)
    return pid, days


def test_home_peaks_and_troughs_show_end_of_dose_waning(client, pharmacist):
    pid, days = iv_patient(client, pharmacist, "HOME-EOD")
    for k in range(2):
        score(client, pharmacist, pid, days[k] + timedelta(days=2), 62, "post_infusion", "home")
        score(client, pharmacist, pid, days[k + 1] - timedelta(days=1), 48, "pre_infusion", "home")
    # A home grip the day before a course is a trough, as a clinic one would be.
    assert waning(schedule(client, pharmacist, pid)) == ["end_of_dose"]


def test_a_clinic_peak_is_never_compared_with_a_home_trough(client, pharmacist):
    pid, days = iv_patient(client, pharmacist, "HOME-MIX")
    for k in range(2):
        score(client, pharmacist, pid, days[k] + timedelta(days=2), 62, "post_infusion")
        score(client, pharmacist, pid, days[k + 1] - timedelta(days=1), 48, "pre_infusion", "home")
    assert waning(schedule(client, pharmacist, pid)) is None


def test_home_troughs_wane_progressively_against_home_troughs_only(client, pharmacist):
    def patient(mrn, reference_source):
        pid, days = sc_patient(client, pharmacist, mrn, 5)
        for k, day in enumerate(days[:5]):
            if k < 3:
                score(
                    client, pharmacist, pid, day + timedelta(days=3), 60, "clinic", reference_source
                )
            else:
                score(client, pharmacist, pid, day + timedelta(days=3), 48, "clinic", "home")
        return waning(schedule(client, pharmacist, pid))

    assert patient("HOME-PROG", "home") == ["progressive"]
    # The good troughs were clinic ones: the home series has no reference.
    assert patient("HOME-SEP", "clinic") is None


def test_home_wear_off_days_count_as_reports(client, pharmacist):
    pid, days = iv_patient(client, pharmacist, "HOME-REPORT")
    for k in range(2):
        score(client, pharmacist, pid, days[k + 1], 14, "clinic", "home", measure="wear_off_day")
    assert waning(schedule(client, pharmacist, pid)) == ["end_of_dose"]


def test_a_conversion_dated_in_the_past_is_refused(client, pharmacist):
    # From a past day the regimen current then (an old induction dose, say) was converted
    # into a new SC regimen starting at the next IV course due.
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=400))
    url = f"/api/v1/patients/{pid}/regimens"
    before = client.get(url, headers=pharmacist).json()
    past = convert(client, pharmacist, pid, interval_days=14, on=iso(TODAY - timedelta(days=1)))
    assert past.status_code == 422, past.text
    assert past.json()["detail"][0]["loc"] == ["body", "on"]
    assert client.get(url, headers=pharmacist).json() == before
    assert convert(client, pharmacist, pid, interval_days=14, on=iso(TODAY)).status_code == 201
