"""The admin's products page: the GTIN on each product's vials, set, refused and cleared."""

import pytest
from sqlmodel import select

from tests.builders.pages import log_in, page_client, post_form
from tracker.store.models import AuditEvent, Product

PAGE = "/admin/products"


@pytest.fixture
def admin_page(client, make_user):
    log_in(client, make_user, "admin")
    return client


def _product(session, code: str) -> Product:
    return session.exec(select(Product).where(Product.code == code)).one()


def _action(product: Product) -> str:
    return f"{PAGE}/{product.id}/gtin"


def test_the_page_lists_every_product_with_its_gtin_and_a_form(admin_page, session):
    page = admin_page.get(PAGE)
    assert page.status_code == 200
    assert '<a href="/admin/products" aria-current="page">Products</a>' in page.text
    for product in session.exec(select(Product)).all():
        assert product.name in page.text
        assert f'action="{_action(product)}"' in page.text
        assert f'<label for="f-gtin-{product.id}">GTIN of {product.name}</label>' in page.text
    assert 'name="csrf_token"' in page.text


def test_an_admin_sets_a_gtin_and_is_told_what_was_saved(admin_page, session):
    privigen = _product(session, "privigen")
    saved = post_form(admin_page, PAGE, _action(privigen), {"gtin": "9506000134352"})
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?saved={privigen.id}"
    session.refresh(privigen)
    assert privigen.gtin == "09506000134352"
    shown = admin_page.get(saved.headers["location"]).text
    assert f"Saved: {privigen.name} now has the GTIN 09506000134352." in shown
    assert 'role="status"' in shown and "<code>09506000134352</code>" in shown
    entry = session.exec(select(AuditEvent).where(AuditEvent.action == "product.gtin")).one()
    assert entry.changes == {"gtin": [None, "09506000134352"]}
    assert entry.actor_name == "admin.page"


def test_a_wrong_gtin_is_refused_beside_its_field_in_plain_words(admin_page, session):
    privigen = _product(session, "privigen")
    refused = post_form(admin_page, PAGE, _action(privigen), {"gtin": "9506000134353"})
    assert refused.status_code == 422
    error = f'<p class="field-error" id="e-gtin-{privigen.id}" role="alert">'
    assert error + "GTIN 9506000134353 has a wrong check digit" in refused.text
    assert f'id="f-gtin-{privigen.id}" name="gtin" type="text" value="9506000134353"' in (
        refused.text
    )
    short = post_form(admin_page, PAGE, _action(privigen), {"gtin": "12345"})
    assert short.status_code == 422 and "GTIN must be 8, 12, 13 or 14 digits" in short.text
    session.refresh(privigen)
    assert privigen.gtin is None


def test_a_gtin_of_another_product_is_refused_naming_it(admin_page, session):
    privigen, octagam = _product(session, "privigen"), _product(session, "octagam10")
    post_form(admin_page, PAGE, _action(privigen), {"gtin": "09506000134352"})
    clash = post_form(admin_page, PAGE, _action(octagam), {"gtin": "9506000134352"})
    assert clash.status_code == 409
    assert f'id="e-gtin-{octagam.id}"' in clash.text
    assert f"GTIN 09506000134352 is already set for {privigen.name}" in clash.text
    session.refresh(octagam)
    assert octagam.gtin is None


def test_an_admin_clears_a_gtin(admin_page, session):
    privigen = _product(session, "privigen")
    post_form(admin_page, PAGE, _action(privigen), {"gtin": "09506000134352"})
    page = admin_page.get(PAGE).text
    assert 'name="action" value="clear"' in page
    cleared = post_form(
        admin_page, PAGE, _action(privigen), {"gtin": "09506000134352", "action": "clear"}
    )
    assert cleared.status_code == 303
    session.refresh(privigen)
    assert privigen.gtin is None
    assert "has no GTIN now" in admin_page.get(cleared.headers["location"]).text
    # An empty field saved clears too (and clearing nothing is no error).
    again = post_form(admin_page, PAGE, _action(privigen), {"gtin": "", "action": "save"})
    assert again.status_code == 303


def test_an_unknown_product_is_404(admin_page):
    missing = post_form(admin_page, PAGE, f"{PAGE}/999999/gtin", {"gtin": "09506000134352"})
    assert missing.status_code == 404 and "no product with id 999999" in missing.text


@pytest.mark.parametrize("role", ["viewer", "nurse", "pharmacist"])
def test_only_an_admin_sees_or_sets_gtins(app, make_user, session, role):
    other = page_client(app, make_user, role)
    privigen = _product(session, "privigen")
    assert other.get(PAGE).status_code == 403
    refused = other.post(_action(privigen), data={"csrf_token": other.csrf, "gtin": "96385074"})
    assert refused.status_code == 403
    session.refresh(privigen)
    assert privigen.gtin is None
    assert 'href="/admin/products"' not in other.get("/").text


def test_the_form_needs_its_csrf_token(admin_page, session):
    privigen = _product(session, "privigen")
    forged = admin_page.post(_action(privigen), data={"gtin": "96385074"})
    assert forged.status_code == 403
    session.refresh(privigen)
    assert privigen.gtin is None
