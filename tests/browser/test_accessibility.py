"""Issue 16: axe-core finds no violation on the main pages.

axe-playwright-python ships axe-core in its wheel (axe.min.js) and injects it from there:
nothing is fetched at run time.
"""

from tests.browser.test_layout import demo_site, log_in  # noqa: F401  (a fixture)

PAGES = (
    "/",
    "/patients",
    "/patients/{pid}",
    "/patients/{pid}/history/scores",
    "/patients/{pid}/book",
    "/log",
    "/log/{infusion}",
    "/admin/users",
    "/admin/tokens",
    "/admin/chairs",
    "/admin/audit",
    "/account/password",
)
# The vendored Swagger UI (/docs) is not ours to mark up, and not yet clean: its operation
# rows put a button inside a button (nested-interactive, only fixable in Swagger UI's own
# markup), its headings skip a level and its info block sits outside a landmark (both its
# markup), and some grey texts and method badges are below 4.5:1 (fixable by restyling; not
# done). Until it is, the test holds it to exactly these rules, so nothing new creeps in.
SWAGGER_KNOWN = {"color-contrast", "heading-order", "nested-interactive", "region"}


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
    ]


def test_axe_finds_nothing_on_the_main_pages(chromium, demo_site):  # noqa: F811
    base, _, world = demo_site
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{base}/login")
    found = {"/login": violations(page)}
    log_in(page, base)
    for path in PAGES:
        url = path.format(pid=world.patient_id, infusion=world.infusion_id)
        assert page.goto(f"{base}{url}").status == 200, url
        found[path] = violations(page)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=10_000)
    swagger = {line.split(" ", 1)[0] for line in violations(page)}
    assert swagger <= SWAGGER_KNOWN
    bad = [f"{path}: {v}" for path, vs in found.items() for v in vs]
    assert not bad, "\n".join(bad)
