"""The products a form offers: the active ones, by name."""

from tracker.services.products import product_choices
from tracker.store.models import Product


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
