"""In a real Chromium: a patient's name as long as the form allows, with no space to break at,
wraps inside its card or cell on every page that shows it (_patient_name.html, app.css)."""

from tests.builders.records import build_world
from tests.conftest import TEST_PASSWORD
from tracker.services.passwords import hash_password
from tracker.store.engine import session_scope
from tracker.store.models import StaffUser

LONG_NAME = "Wolfeschlegelsteinhausenberger" * 3 + "dorffvoralternwarengewissenhaft"  # 121
# The box each name must stay inside, and the page column those boxes stay inside.
NAME_OVERFLOW = """() => [...document.querySelectorAll('main .patient-name')].map(name => {
  const box = name.closest('.card, .patient-head, td, th, .day-item, h1, p, main');
  const main = document.querySelector('main').getBoundingClientRect();
  const n = name.getBoundingClientRect(), b = box.getBoundingClientRect();
  return {box: box.tagName + '.' + box.className, name_past_box: n.right - b.right,
          box_past_main: b.right - main.right};
})"""


def test_a_long_name_wraps_inside_its_card(chromium, browser_site):
    base, engine = browser_site
    with session_scope(engine) as session:
        session.add(
            StaffUser(
                username="long.admin", role="admin", password_hash=hash_password(TEST_PASSWORD)
            )
        )
        world = build_world(session, given_name=LONG_NAME[:100], family_name=LONG_NAME[:100])
    page = chromium.new_page(viewport={"width": 1024, "height": 800})
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("long.admin")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    pid = world.patient_id
    for path in (
        "/?view=booked_this_week",
        "/patients",
        f"/patients/{pid}",
        f"/patients/{pid}/summary",
        f"/patients/{pid}/review-report",
        f"/patients/{pid}/book",
        f"/patients/{pid}/calendar",
        f"/patients/{pid}/other-treatments",
        f"/patients/{pid}/regimens/new",
        "/log",
        f"/log/{world.infusion_id}",
        "/recall?lot=P1",
    ):
        assert page.goto(f"{base}{path}").status == 200, path
        names = page.evaluate(NAME_OVERFLOW)
        assert names, path
        for shown in names:
            assert shown["name_past_box"] <= 1 and shown["box_past_main"] <= 1, (path, shown)
