"""A pharmacist's day in a real browser: find, book, record, log scores, act on waning."""

from datetime import date, datetime, timedelta

from tests.conftest import TEST_PASSWORD
from tests.opening_days import open_every_day
from tracker.schemas.patients import PatientCreate, WeightCreate
from tracker.schemas.scores import AssessmentCreate
from tracker.schemas.treatment import InfusionCreate, LotInput, RegimenCreate
from tracker.services import assessments, infusions, patients, regimens
from tracker.services.actors import SYSTEM
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser


def _seed(engine, today: date) -> int:
    """A patient whose grip wore off in the last cycle: one more cycle makes it a pattern."""
    with session_scope(engine) as s:
        s.add(
            StaffUser(
                username="pam",
                full_name="Pam Pharmacist",
                role="pharmacist",
                password_hash=hash_password(TEST_PASSWORD),
            )
        )
        p = patients.create_patient(
            s,
            actor=SYSTEM,
            today=today,
            data=PatientCreate(
                mrn="MMN-0042",
                given_name="Maria",
                family_name="Hollis",
                birth_date=date(1968, 4, 2),
                sex="female",
                height_cm=165,
            ),
        )
        patients.add_weight(
            s,
            actor=SYSTEM,
            patient_id=p.id,
            today=today,
            data=WeightCreate(measured_on=today - timedelta(days=60), weight_kg=68),
        )
        regimens.create_regimen(
            s,
            actor=SYSTEM,
            patient_id=p.id,
            today=today,
            data=RegimenCreate(
                starts_on=today - timedelta(days=60),
                dose_g_per_kg=1.0,
                interval_days=28,
                product_code="privigen",
                reason="Maintenance after induction",
            ),
        )
        for back in (56, 28):
            day = today - timedelta(days=back)
            infusions.book_infusion(
                s,
                actor=SYSTEM,
                patient_id=p.id,
                today=today,
                data=InfusionCreate(
                    scheduled_on=day,
                    status="given",
                    dose_g=70,
                    product_code="privigen",
                    lots=[LotInput(lot_number=f"P{back}", vials=2, size_g=40)],
                    confirm_lot_total=True,
                ),
            )
            for timing, value, when in (
                ("pre_infusion", 67, day),
                ("post_infusion", 80, day + timedelta(days=3)),
            ):
                assessments.record_assessment(
                    s,
                    actor=SYSTEM,
                    patient_id=p.id,
                    today=today,
                    data=AssessmentCreate(
                        taken_on=when,
                        measure="grip_vigorimeter",
                        side="right",
                        value=value,
                        timing=timing,
                    ),
                )
        open_every_day(s)  # so the journey books and gives a course today, whatever the day
        return p.id


def test_book_record_log_and_accept_in_the_browser(chromium, browser_site, artifacts):
    base, engine = browser_site
    today = datetime.now().date()
    patient_id = _seed(engine, today)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})

    page.goto(f"{base}/")
    assert "/login" in page.url
    page.get_by_label("Username").fill("pam")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")

    # Find the patient on the worklist: due today and not booked.
    page.get_by_label("Find by MRN or name").fill("MMN-0042")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row", name="Hollis, Maria")
    assert "Needs booking" in row.inner_text()
    page.goto(f"{base}/")
    page.screenshot(path=str(artifacts / "worklist.png"), full_page=True)
    page.get_by_role("link", name="Hollis, Maria").click()
    assert "Waning response" not in page.content()

    # Book inside the window: the suggestions are days inside it, from now on (late in the
    # day that is tomorrow); the course is booked for today at 09:00 with the form below.
    page.get_by_role("link", name="Book infusion").click()
    page.screenshot(path=str(artifacts / "booking.png"), full_page=True)
    assert "Suggested inside the window" in page.content()
    first = page.locator("button.suggestion").first.inner_text()
    assert any((today + timedelta(days=d)).strftime("%a %d %b") in first for d in range(4))
    page.get_by_label("Start").last.fill("09:00")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Booked."

    # The nurse's log: record it as given with lots and the scores.
    page.get_by_role("link", name="Today's infusions").click()
    page.get_by_role("link", name="Log infusion").click()
    assert page.get_by_label("Dose given (g)").input_value() == "70"
    expiry = (today + timedelta(days=300)).isoformat()
    for row, lot in enumerate(("PRV-23117", "PRV-23120", "PRV-23201"), start=1):
        page.get_by_label(f"Lot {row} lot number").fill(lot)
        page.get_by_label(f"Lot {row} expires").fill(expiry)
    before = page.get_by_role("group", name="Scores")
    before.get_by_label("Grip right").first.fill("66")
    page.locator("#f-post_grip_right").fill("81")
    page.get_by_label("Reactions (none if blank)").fill("mild headache")
    page.screenshot(path=str(artifacts / "logging-form.png"), full_page=True)
    page.get_by_role("button", name="Record as given").click()
    assert page.get_by_role("status").inner_text() == "Course recorded."

    # The waning flag and the recommendation; accepting it makes a new regimen.
    page.goto(f"{base}/patients/{patient_id}")
    content = page.content()
    assert "Waning response" in content and "Shorten interval" in content
    assert page.locator(".tl-course.tl-given").count() == 3
    bands_before = page.locator(".tl-regimen").count()
    page.screenshot(path=str(artifacts / "patient-timeline.png"), full_page=True)
    page.get_by_role("button", name="Accept: show the new regimen").click()
    assert "every <strong>21 days</strong>" in page.content()  # shown, not saved yet
    page.get_by_role("button", name="Confirm: save this regimen").click()
    assert page.locator(".tl-regimen").count() == bands_before + 1
    assert "every 21 d" in page.locator(".timeline svg").inner_html()
    assert "every <strong>21 days</strong>" in page.content()
    page.screenshot(path=str(artifacts / "patient-after-accept.png"), full_page=True)
