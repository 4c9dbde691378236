"""Issue 19: the patient opens the diary link on a phone (390 px), records both grips and a
wear-off day, and the staff patient page shows them as home readings."""

from datetime import datetime, timedelta

from tests.browser.test_accessibility import violations
from tests.browser.test_layout import log_in
from tests.builders.records import build_world
from tests.conftest import TEST_PASSWORD
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser


def test_the_patient_records_grips_and_a_wear_off_day_from_a_phone(
    chromium, browser_site, artifacts
):
    base, engine = browser_site
    today = datetime.now().date()
    with session_scope(engine) as s:
        world = build_world(s, today=today)
        s.add(
            StaffUser(username="ada", role="pharmacist", password_hash=hash_password(TEST_PASSWORD))
        )
    staff = chromium.new_page(viewport={"width": 1366, "height": 900})
    log_in(staff, base)
    staff.goto(f"{base}/patients/{world.patient_id}")
    staff.get_by_role("link", name="Diary link").click()
    staff.get_by_role("button", name="Make a diary link").click()
    address = staff.get_by_role("textbox", name="Diary link").input_value()
    # The address is under the site's configured base URL; this server listens elsewhere.
    address = f"{base}/diary/{address.split('/diary/')[1]}"

    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    assert phone.goto(address).status == 200
    assert phone.get_by_role("heading", name="Hello Ann").is_visible()
    assert violations(phone) == []
    assert phone.get_by_label("Left hand").get_attribute("inputmode") == "decimal"
    box = phone.get_by_role("button", name="Save").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    phone.get_by_label("Left hand").fill("31.5")
    phone.get_by_label("Right hand").fill("28")
    phone.get_by_label("The day before or the morning of an infusion").check()
    phone.get_by_label("Day you felt the treatment wear off").fill(
        (today - timedelta(days=5)).isoformat()
    )
    phone.get_by_label("Note for your infusion team").fill("Tired in the last week.")
    phone.get_by_role("button", name="Save").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("status").inner_text().startswith("Thank you")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    phone.screenshot(path=str(artifacts / "diary-390.png"), full_page=True)
    context.close()

    staff.goto(f"{base}/patients/{world.patient_id}")
    text = staff.content()
    assert "Grip left (dynamometer) at home" in text
    assert "Grip right (dynamometer) at home" in text
    assert "31.5 kg" in text and "wear-off day" in text
    staff.goto(f"{base}/patients/{world.patient_id}/diary")
    assert "Tired in the last week." in staff.content()
    assert violations(staff) == []
    staff.close()


def test_an_sc_patient_records_a_self_infused_course_from_a_phone(
    chromium, browser_site, artifacts
):
    from tracker.schemas.treatment import RegimenCreate
    from tracker.services import diary, regimens
    from tracker.services.actors import SYSTEM

    base, engine = browser_site
    today = datetime.now().date()
    with session_scope(engine) as s:
        world = build_world(s, today=today)
        regimens.create_regimen(
            s,
            actor=SYSTEM,
            patient_id=world.patient_id,
            today=today,
            data=RegimenCreate(
                starts_on=today - timedelta(days=2),
                dose_g_per_kg=0.25,
                interval_days=7,
                route="sc",
                product_code="gammagard",
                reason="home SCIG",
            ),
        )
        token, _ = diary.issue_link(s, actor=SYSTEM, patient_id=world.patient_id, today=today)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    assert phone.goto(f"{base}/diary/{token}").status == 200
    assert violations(phone) == []
    vials = phone.get_by_label("How many vials or syringes")
    assert vials.get_attribute("inputmode") == "numeric"
    button = phone.get_by_role("button", name="Record my infusion")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    phone.get_by_label("Day you infused").fill((today - timedelta(days=1)).isoformat())
    phone.get_by_label("Lot number (on the vial or syringe label)").fill("LE12AB")
    vials.fill("2")
    # An expired lot: refused, named, nothing saved, the typed lot kept.
    phone.get_by_label("Expiry date on the label (if you have it)").fill(
        (today - timedelta(days=30)).isoformat()
    )
    button.click()
    phone.wait_for_load_state()
    assert phone.get_by_role("alert").inner_text().startswith("Expiry date:")
    assert phone.get_by_label("Lot number (on the vial or syringe label)").input_value() == "LE12AB"
    phone.get_by_label("Expiry date on the label (if you have it)").fill(
        (today + timedelta(days=300)).isoformat()
    )
    phone.get_by_role("button", name="Record my infusion").click()
    phone.wait_for_load_state()
    assert "your infusion is recorded" in phone.get_by_role("status").inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    phone.screenshot(path=str(artifacts / "diary-self-course-390.png"), full_page=True)
    context.close()
