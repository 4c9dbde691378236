"""The products a form offers (the active ones, by name) and the GTIN an admin sets."""

import pytest
from sqlmodel import select

from tracker.services.actors import SYSTEM
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.services.products import (
    all_products,
    product_by_gtin,
    product_choices,
    set_product_gtin,
)
from tracker.store.models import AuditEvent, Product


def _product(code: str, name: str, *, active: bool = True) -> Product:
    return Product(
        code=code,
        name=name,
        concentration_percent=10,
        vial_sizes_g="5,10",
        start_rate_mg_per_kg_per_min=0.5,
        max_rate_mg_per_kg_per_min=8,
        active=active,
    )


def test_only_active_products_are_offered_in_name_order(session):
    session.add_all(
        [_product("ZZ-NEW", "Aaa first by name"), _product("OLD", "Withdrawn brand", active=False)]
    )
    session.flush()
    choices = product_choices(session)
    assert ("ZZ-NEW", "Aaa first by name") in choices
    assert "OLD" not in [code for code, _ in choices]
    names = [name for _, name in choices]
    assert names == sorted(names)


def _code(session, code: str) -> Product:
    return session.exec(select(Product).where(Product.code == code)).one()


def _gtin_entries(session) -> list[AuditEvent]:
    session.commit()  # the trail is written at the commit (a savepoint here)
    query = select(AuditEvent).where(AuditEvent.action == "product.gtin").order_by(AuditEvent.id)
    return list(session.exec(query).all())


def test_a_gtin_is_set_as_14_digits_audited_and_found_by_the_scanner(session):
    privigen = _code(session, "privigen")
    set_product_gtin(session, actor=SYSTEM, product_id=privigen.id, gtin="9506000134352")
    assert privigen.gtin == "09506000134352"
    assert product_by_gtin(session, "09506000134352").code == "privigen"
    (entry,) = _gtin_entries(session)
    assert (entry.entity, entry.entity_id) == ("product", str(privigen.id))
    assert entry.changes == {"gtin": [None, "09506000134352"]}
    set_product_gtin(session, actor=SYSTEM, product_id=privigen.id, gtin="  ")  # blank: clear
    assert privigen.gtin is None and product_by_gtin(session, "09506000134352") is None
    assert _gtin_entries(session)[-1].changes == {"gtin": ["09506000134352", None]}


def test_a_gtin_with_a_wrong_check_digit_is_refused_naming_the_field(session):
    privigen = _code(session, "privigen")
    with pytest.raises(Invalid) as refused:
        set_product_gtin(session, actor=SYSTEM, product_id=privigen.id, gtin="9506000134353")
    assert refused.value.field == "gtin" and "check digit" in refused.value.message
    assert privigen.gtin is None


def test_a_gtin_another_product_has_is_refused_naming_that_product(session):
    privigen, octagam = _code(session, "privigen"), _code(session, "octagam10")
    set_product_gtin(session, actor=SYSTEM, product_id=privigen.id, gtin="09506000134352")
    with pytest.raises(Conflict) as refused:
        # The same GTIN typed as 13 digits is the same GTIN.
        set_product_gtin(session, actor=SYSTEM, product_id=octagam.id, gtin="9506000134352")
    assert refused.value.field == "gtin"
    assert f"already set for {privigen.name}" in refused.value.message
    assert octagam.gtin is None
    # Setting a product's own GTIN again is no clash (and no audit entry).
    entries = len(_gtin_entries(session))
    set_product_gtin(session, actor=SYSTEM, product_id=privigen.id, gtin="09506000134352")
    assert len(_gtin_entries(session)) == entries == 1


def test_an_unknown_product_is_not_found(session):
    with pytest.raises(NotFound):
        set_product_gtin(session, actor=SYSTEM, product_id=999_999, gtin=None)


def test_the_admins_list_has_every_product_those_in_use_first(session):
    session.add(_product("OLD", "Aaa withdrawn", active=False))
    session.flush()
    listed = all_products(session)
    assert listed[-1].code == "OLD" and all(p.active for p in listed[:-1])
    names = [p.name for p in listed[:-1]]
    assert names == sorted(names)
