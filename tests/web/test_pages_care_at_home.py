"""Issue 19 on the pages: the SC conversion preview, home scores and the timeline."""

from datetime import date, timedelta

from tests.builders.api import give, iso, patient_with_regimen
from tests.builders.pages import page_client

TODAY = date.today()


def test_conversion_is_previewed_then_saved_on_confirmation(app, client, make_user, api_as):
    pharmacist = api_as("pharmacist")
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    give(client, pharmacist, pid, TODAY - timedelta(days=10))
    browser = page_client(app, make_user, "pharmacist", "pharm.page")
    page = browser.get(f"/patients/{pid}")
    assert "Convert to SC" in page.text
    preview = browser.post(
        f"/patients/{pid}/regimens/convert-to-sc",
        data={"csrf_token": browser.csrf, "interval_days": "7", "on": ""},
    )
    assert preview.status_code == 200, preview.text
    starts = TODAY + timedelta(days=18)
    day = f"{starts.day:02d} {starts.strftime('%b')} {starts.year}"
    assert f"IV 70 g every 28 days → SC 70 × 7/28 × 1.0 = 17.5 → 18 g every 7 days from {day}" in (
        preview.text
    )
    # Nothing saved yet.
    regimens = client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json()
    assert len(regimens) == 1
    saved = browser.post(
        f"/patients/{pid}/regimens/convert-to-sc",
        data={
            "csrf_token": browser.csrf,
            "interval_days": "7",
            "on": iso(TODAY),
            "expected_dose_g": "18.0",
            "confirm": "save",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    regimens = client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist).json()
    assert [(r["route"], r["dose_g"]) for r in regimens] == [("iv", 70), ("sc", 18)]
    page = browser.get(f"/patients/{pid}")
    assert "18 g SC" in page.text


def test_home_scores_are_marked_and_drawn_apart(app, client, make_user, api_as):
    pharmacist = api_as("pharmacist")
    pid = patient_with_regimen(client, pharmacist, starts_on=TODAY - timedelta(days=60))
    give(client, pharmacist, pid, TODAY - timedelta(days=30))
    for source, value in (("clinic", 50), ("home", 44)):
        answer = client.post(
            f"/api/v1/patients/{pid}/assessments",
            headers=pharmacist,
            json={
                "taken_on": iso(TODAY - timedelta(days=2)),
                "measure": "grip_vigorimeter",
                "side": "right",
                "value": value,
                "timing": "pre_infusion",
                "source": source,
            },
        )
        assert answer.status_code == 201, answer.text
    browser = page_client(app, make_user, "nurse", "nurse.page")
    page = browser.get(f"/patients/{pid}").text
    # Both latest scores are listed: one series each; the home one says so.
    assert ">home</span>" in page
    assert 'data-series="grip_vigorimeter:right:home"' in page
    assert 'data-series="grip_vigorimeter:right"' in page
    assert "recorded at home" in page  # the legend
    assert "Grip right (Vigorimeter) at home" in page  # the series' accessible title
    history = browser.get(f"/patients/{pid}/history/scores").text
    assert ">home</span>" in history
