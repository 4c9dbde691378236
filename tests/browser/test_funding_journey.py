"""Issue 18 in a real browser: with authorisations required, a pharmacist books a course the
approval cannot cover, sees the refusal beside the field, gives an override reason and
books it; the patient's funding panel and the renewal packet show it, and the packet prints
to a PDF with headless Chromium."""

import re
from datetime import date, datetime, timedelta

from tests.browser.test_accessibility import violations
from tests.conftest import TEST_PASSWORD
from tests.opening_days import open_every_day
from tracker.formats.display import date_text
from tracker.schemas.authorizations import AuthorizationCreate
from tracker.schemas.patients import PatientCreate, WeightCreate
from tracker.schemas.scores import AssessmentCreate
from tracker.schemas.treatment import InfusionCreate, LotInput, RegimenCreate
from tracker.services import assessments, authorizations, infusions, patients, regimens
from tracker.services.actors import SYSTEM
from tracker.services.passwords import hash_password
from tracker.services.policy import update_policy
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser


def _seed(engine, today: date) -> tuple[int, int]:
    """70 g given 56 and 28 days ago, all of the 140 g approved; grip 40 then 53 kPa."""
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
                mrn="MMN-0018",
                given_name="Rosa",
                family_name="Keller",
                birth_date=date(1971, 9, 12),
                sex="female",
                height_cm=165,
            ),
        )
        patients.add_weight(
            s,
            actor=SYSTEM,
            patient_id=p.id,
            today=today,
            data=WeightCreate(measured_on=today - timedelta(days=60), weight_kg=70),
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
        for day, value in ((today - timedelta(days=58), 40), (today - timedelta(days=2), 53)):
            assessments.record_assessment(
                s,
                actor=SYSTEM,
                patient_id=p.id,
                today=today,
                data=AssessmentCreate(
                    taken_on=day, measure="grip_vigorimeter", side="right", value=value,
                    timing="clinic",
                ),
            )  # fmt: skip
        for back in (56, 28):
            infusions.book_infusion(
                s,
                actor=SYSTEM,
                patient_id=p.id,
                today=today,
                data=InfusionCreate(
                    scheduled_on=today - timedelta(days=back),
                    status="given",
                    dose_g=70,
                    product_code="privigen",
                    lots=[LotInput(lot_number=f"P{back}", vials=2, size_g=40)],
                    confirm_lot_total=True,
                    reactions="mild headache" if back == 28 else None,
                ),
            )
        auth = authorizations.create_authorization(
            s,
            actor=SYSTEM,
            patient_id=p.id,
            today=today,
            data=AuthorizationCreate(
                payer="Aetna",
                reference="PA-0018",
                starts_on=today - timedelta(days=57),
                ends_on=today + timedelta(days=120),
                approved_g=140,
            ),
        )
        update_policy(s, actor=SYSTEM, changes={"authorizations_required": True})
        open_every_day(s)
        return p.id, auth.id


def test_an_overridden_booking_and_the_renewal_packet_in_the_browser(
    chromium, browser_site, artifacts
):
    base, engine = browser_site
    today = datetime.now().date()
    patient_id, auth_id = _seed(engine, today)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pam")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")

    # The patient's funding panel: all 140 g used, in words beside the bar.
    page.goto(f"{base}/patients/{patient_id}")
    panel = page.locator("#funding")
    assert "Used 140 g in 2 courses" in panel.inner_text()
    assert "0 g left" in panel.inner_text()
    assert page.get_by_role("img", name=re.compile("PA-0018: used 100%")).count() == 1

    # The booking page says, before saving, that the course would overspend it.
    page.get_by_role("link", name="Book infusion").click()
    assert "leaves 70 g short" in page.locator("#funding").inner_text()
    page.get_by_label("Start").last.fill("09:00")
    page.get_by_role("button", name="Book", exact=True).click()
    refusal = page.locator("#e-override_reason")
    assert "beyond authorisation PA-0018: 70 g short" in refusal.inner_text()
    assert page.get_by_label("Override reason (book it anyway)").is_visible()
    page.screenshot(path=str(artifacts / "funding-refusal.png"), full_page=True)
    page.get_by_label("Override reason (book it anyway)").fill("renewal requested, payer agreed")
    page.get_by_role("button", name="Book", exact=True).click()
    assert page.get_by_role("status").first.inner_text() == "Booked."

    # The renewal packet: benefit against the MCID, courses, reactions; then its PDF.
    page.goto(f"{base}/patients/{patient_id}")
    page.get_by_role("link", name="Renewal packet for PA-0018").click()
    page.wait_for_url(f"{base}/patients/{patient_id}/authorizations/{auth_id}/packet")
    text = page.locator("main").inner_text()
    assert "Renewal of authorisation PA-0018" in text and "Keller" in text
    assert "+13 kPa" in text and "yes: improved" in text
    assert "140 g given in 2 courses" in text
    assert f"{date_text(today - timedelta(days=28))}: mild headache" in text
    assert "booked 70 g in 1 course" in text  # the overridden booking is charged to it
    assert violations(page) == []
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "renewal-packet.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    assert b"%%EOF" in pdf[-1024:]
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 1 <= pages <= 4, pages
    assert len(pdf) > 5_000
