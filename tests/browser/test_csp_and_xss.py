"""In a real Chromium: no page trips the Content-Security-Policy, the API reference among
them, and a patient named <script>alert(1)</script> never runs."""

from sqlmodel import select

from tests.builders.records import build_world
from tests.conftest import TEST_PASSWORD
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser

XSS_NAME = "<script>alert(1)</script>"


def test_pages_run_under_the_csp_and_a_script_name_stays_text(chromium, browser_site):
    base, engine = browser_site
    with session_scope(engine) as session:
        session.add(
            StaffUser(
                username="csp.admin",
                full_name=XSS_NAME,
                role="admin",
                password_hash=hash_password(TEST_PASSWORD),
            )
        )
        world = build_world(session, given_name=XSS_NAME, family_name=XSS_NAME)
    with session_scope(engine) as session:
        assert session.exec(select(StaffUser).where(StaffUser.username == "csp.admin")).one()
    page = chromium.new_page()
    dialogs, violations = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("csp.admin")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    # Every page that shows a patient's name (the worklist, the record and its timeline, the
    # printable summary and review report, booking, the nurses' day and log form, the
    # outbox, a lot recall, the calendar page, the audit trail), and one that shows the
    # staff member's: each shows the name as text, and nothing runs.
    pid = world.patient_id
    for path in (
        "/?view=booked_this_week",
        "/patients",
        f"/patients/{pid}",
        f"/patients/{pid}/summary",
        f"/patients/{pid}/review-report",
        f"/patients/{pid}/book",
        f"/patients/{pid}/edit",
        f"/patients/{pid}/calendar",
        f"/patients/{pid}/diagnosis/new",
        "/log",
        f"/log/{world.infusion_id}",
        "/outbox",
        "/recall?lot=P1",
        "/admin/audit",
        "/admin/users",
    ):
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert XSS_NAME in page.inner_text("main") or path in ("/admin/users",), path
        assert page.locator("main script").count() == 0, path  # text, never an element
    assert page.goto(f"{base}/docs").status == 200
    assert page.locator(".api-op").count() >= 25  # the operations, drawn by the server
    assert page.locator("script").count() == 0
    assert dialogs == [] and violations == []
