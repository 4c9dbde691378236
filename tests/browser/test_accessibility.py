"""Issue 16: axe-core finds no violation on the main pages, the API reference (/docs) too.

axe-playwright-python ships axe-core in its wheel (axe.min.js) and injects it from there:
nothing is fetched at run time.
"""

from datetime import datetime

from tests.browser.test_layout import NURSE, demo_site, log_in  # noqa: F401  (a fixture)

PAGES = (
    "/",
    "/patients",
    "/patients/{pid}",
    "/patients/{pid}/history/scores",
    "/patients/{pid}/book",
    "/patients/{pid}/authorizations",
    "/patients/{pid}/diary",
    "/patients/{pid}/authorizations/{auth}/packet",
    "/log",
    "/log/{infusion}",
    "/admin/users",
    "/admin/tokens",
    "/admin/chairs",
    "/admin/audit",
    "/admin/products",
    "/account/password",
    "/nurses/week?nurse={nurse}",
    "/docs",
)


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
    ]


def test_axe_finds_nothing_on_the_main_pages(chromium, demo_site):  # noqa: F811
    base, engine, world = demo_site
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{base}/login")
    found = {"/login": violations(page)}
    log_in(page, base)
    for path in PAGES:
        url = path.format(
            pid=world.patient_id,
            infusion=world.infusion_id,
            auth=world.authorization_id,
            nurse=NURSE,
        )
        assert page.goto(f"{base}{url}").status == 200, url
        found[path] = violations(page)
    # The patient's diary page, opened by its link (issue 19).
    from tracker.services import diary
    from tracker.services.actors import SYSTEM
    from tracker.store.engine import session_scope

    with session_scope(engine) as s:
        token, _ = diary.issue_link(
            s, actor=SYSTEM, patient_id=world.patient_id, today=datetime.now().date()
        )
    assert page.goto(f"{base}/diary/{token}").status == 200
    found["/diary/{token}"] = violations(page)
    bad = [f"{path}: {v}" for path, vs in found.items() for v in vs]
    assert not bad, "\n".join(bad)
