"""Every page as rendered: no inline script or style (the CSP allows none), a CSRF token in
every form that posts, and a patient named <script>alert(1)</script> shown as text."""

from html.parser import HTMLParser

import pytest

from tests.builders.pages import page_client
from tests.builders.records import build_world
from tests.security.routes import fill, is_api, knows_every_id, route_keys

XSS_NAME = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# Pages that show the patient's name (the rest must merely not run it).
PAGES_WITH_THE_NAME = {
    "/?view=booked_this_week",
    "/patients",
    "/patients/{patient_id}",
    "/patients/{patient_id}/summary",
    "/patients/{patient_id}/history/courses",
    "/patients/{patient_id}/history/scores",
    "/patients/{patient_id}/history/weights",
    "/patients/{patient_id}/history/reviews",
    "/patients/{patient_id}/edit",
    "/patients/{patient_id}/regimens/new",
    "/patients/{patient_id}/book",
    "/patients/{patient_id}/review-report",
    "/patients/{patient_id}/calendar",
    "/log",
    "/log/{infusion_id}",
    "/outbox",
    "/recall?lot=P1",
    "/admin/audit",
    "/patients/{patient_id}/other-treatments",
    "/patients/{patient_id}/diagnosis/new",
    "/patients/{patient_id}/authorizations",
    "/patients/{patient_id}/authorizations/{authorization_id}/packet",
}
# Pages that show patients only when asked for something: walked with these queries too.
PAGES_WITH_A_QUERY = ("/?view=booked_this_week", "/recall?lot=P1")


class PageAudit(HTMLParser):
    """Collects what the Content-Security-Policy would block, and forms without a token."""

    def __init__(self):
        super().__init__()
        self.inline: list[str] = []
        self.forms: list[dict] = []
        self._script_has_src = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.inline.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._script_has_src = bool(names.get("src"))
            if not self._script_has_src:
                self.inline.append("<script> without src")
        if tag == "form":
            self.forms.append(
                {
                    "method": (names.get("method") or "get").lower(),
                    "action": names.get("action"),
                    "inputs": {},
                }
            )
        if tag == "input" and self.forms:
            self.forms[-1]["inputs"][names.get("name")] = names.get("value") or ""

    def handle_data(self, data):
        if self.lasttag == "script" and data.strip() and self._script_has_src:
            self.inline.append("<script src> with a body")


def _pages(app, client, session):
    """(route path, answer) for every GET page, as an admin, with real ids."""
    world = build_world(session, given_name=XSS_NAME, family_name=XSS_NAME)
    for method, path in route_keys(app):
        if method == "GET" and not is_api(path):
            answer = client.get(fill(path, world.ids()), follow_redirects=False)
            if knows_every_id(path, world.ids()) and answer.status_code != 422:
                assert answer.status_code in (200, 303), (path, answer.status_code)
            yield path, answer  # error pages, too, must keep to the CSP
    for url in PAGES_WITH_A_QUERY:
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 200, url
        yield url, answer


@pytest.fixture
def admin_pages(app, make_user, session):
    client = page_client(app, make_user, "admin")
    pages = [
        (p, a)
        for p, a in _pages(app, client, session)
        if a.headers.get("content-type", "").startswith("text/html")
    ]
    for _path, answer in pages:
        answer.csrf = client.csrf
    return pages


def test_no_page_has_inline_script_or_style(admin_pages):
    assert len(admin_pages) >= 15
    for path, answer in admin_pages:
        audit = PageAudit()
        audit.feed(answer.text)
        assert audit.inline == [], path


def test_every_form_that_posts_carries_its_csrf_token(admin_pages, app):
    session_token = admin_pages[0][1].csrf  # the token the pages were rendered for
    posting = 0
    for path, answer in admin_pages:
        audit = PageAudit()
        audit.feed(answer.text)
        for form in audit.forms:
            if form["method"] == "post" and form["action"] != "/login":
                assert form["inputs"].get("csrf_token") == session_token, (path, form["action"])
                posting += 1
            elif form["method"] == "post":
                assert len(form["inputs"].get("login_csrf", "")) >= 32
    assert posting >= 20


def test_a_patient_named_like_a_script_is_shown_as_text(admin_pages, app, make_user):
    worklist = page_client(app, make_user, "viewer").get("/?view=booked_this_week").text
    assert XSS_ESCAPED in worklist and XSS_NAME not in worklist
    shown = set()
    for path, answer in admin_pages:
        assert XSS_NAME not in answer.text, path
        assert "<script>alert" not in answer.text.replace(XSS_ESCAPED, ""), path
        if XSS_ESCAPED in answer.text:
            shown.add(path)
    assert shown >= PAGES_WITH_THE_NAME, PAGES_WITH_THE_NAME - shown


def test_the_json_api_gives_the_name_back_as_json_data(app, make_user, api_as, session):
    world = build_world(session, given_name=XSS_NAME)
    bearer = api_as("admin", "admin.api")
    answer = page_client(app, make_user, "admin").get(
        f"/api/v1/patients/{world.patient_id}", headers=bearer
    )
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["given_name"] == XSS_NAME
