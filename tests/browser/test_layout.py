"""Issue 16: the main pages (the API reference too) fit a laptop, a landscape and an upright
tablet and a phone.

At each width nothing is wider than the window (wide tables scroll inside their own box) and
"Log out" is on screen; a screenshot of each page at each width goes to the artifacts.
"""

from datetime import datetime

import pytest

from tests.builders.records import build_world, home_visit
from tests.conftest import TEST_PASSWORD
from tracker.demo import load_demo
from tracker.services.evaluation import refresh_all
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser

NURSE = "vera.visits"  # whose week of home visits the pages show
WIDTHS = (1366, 1024, 768, 390)
FITS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# The outermost elements that run past the window's right edge (to name them when one does).
PAST_EDGE = """() => [...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect(), p = e.parentElement.getBoundingClientRect();
  return r.right > window.innerWidth + 1 && p.right <= window.innerWidth + 1;
}).map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.fixture
def demo_site(browser_site):
    """The browser site with a demo cohort, the test world, a nurse's home visit this week and
    an admin (every nav link)."""
    base, engine = browser_site
    today = datetime.now().date()
    with session_scope(engine) as s:
        # Without the demo's funding policy: the world below books its own patient's course,
        # which no authorisation covers.
        load_demo(s, patients=20, seed=1, today=today, zone="UTC", funding=False)
        world = build_world(s, today=today)
        home_visit(s, today=today, nurse=NURSE)
        refresh_all(s, today=today)
        s.add(StaffUser(username="ada", role="admin", password_hash=hash_password(TEST_PASSWORD)))
    return base, engine, world


def log_in(page, base, username="ada"):
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def test_pages_fit_every_width_with_log_out_on_screen(chromium, demo_site, artifacts):
    base, _, world = demo_site
    pages = {
        "worklist": "/",
        "patient": f"/patients/{world.patient_id}",
        "booking": f"/patients/{world.patient_id}/book",
        "funding": f"/patients/{world.patient_id}/authorizations",
        "renewal-packet": (
            f"/patients/{world.patient_id}/authorizations/{world.authorization_id}/packet"
        ),
        "nurse-form": f"/log/{world.infusion_id}",
        "api-docs": "/docs",
        "products": "/admin/products",
        "nurse-week": f"/nurses/week?nurse={NURSE}",
    }
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    log_in(page, base)
    too_wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            assert page.goto(f"{base}{path}").status == 200, path
            if name == "nurse-week":  # the visit is on the page, not just an empty week
                assert page.get_by_text("12 Elm Street").first.is_visible(), width
            page.screenshot(path=str(artifacts / f"layout-{name}-{width}.png"), full_page=True)
            scroll_width, inner_width = page.evaluate(FITS)
            if scroll_width > inner_width:
                too_wide.append((name, width, scroll_width, page.evaluate(PAST_EDGE)))
            log_out = page.get_by_role("button", name="Log out")
            box = log_out.bounding_box()
            assert log_out.is_visible() and box is not None, (name, width)
            assert box["x"] >= 0 and box["x"] + box["width"] <= inner_width, (name, width, box)
    context.close()
    assert too_wide == []
