"""The demo cohort in a real browser: the worklist and a 3-year timeline, as screenshots."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from tests.conftest import TEST_PASSWORD
from tracker.demo import load_demo
from tracker.services.evaluation import refresh_all
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import Assessment, Infusion, StaffUser


def test_demo_worklist_and_a_three_year_timeline(chromium, browser_site, artifacts):
    base, engine = browser_site
    today = datetime.now().date()
    with session_scope(engine) as s:
        load_demo(s, patients=40, seed=1, today=today, zone="UTC")
        refresh_all(s, today=today)
        s.add(StaffUser(username="vera", role="viewer", password_hash=hash_password(TEST_PASSWORD)))
    with session_scope(engine, write=False) as s:
        pid, courses = s.exec(
            select(Infusion.patient_id, func.count())
            .where(Infusion.status == "given")
            .group_by(Infusion.patient_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        scores = s.exec(
            select(func.count()).select_from(Assessment).where(Assessment.patient_id == pid)
        ).one()
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    rows = page.locator("table.worklist tbody tr")
    assert rows.count() >= 10
    assert page.get_by_role("link", name="Overdue").is_visible()
    page.screenshot(path=str(artifacts / "demo-worklist.png"), full_page=True)
    page.goto(f"{base}/patients/{pid}?range=all")
    assert page.locator(".tl-course.tl-given").count() == courses
    assert page.locator(".tl-point").count() == scores
    page.locator(".timeline").screenshot(path=str(artifacts / "demo-timeline.png"))
    # Issue 16: the page of the longest-treated patient is a summary, not every score.
    page.goto(f"{base}/patients/{pid}")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.screenshot(path=str(artifacts / "demo-patient-summary.png"), full_page=True)
    assert height < 4000, f"{height}px tall for {courses} courses and {scores} scores"
