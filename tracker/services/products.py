"""The IVIG products the pharmacy stocks, as forms offer them."""

from sqlmodel import Session, select

from tracker.services.errors import Invalid
from tracker.store.models import Product


def product_choices(session: Session) -> list[tuple[str, str]]:
    """The active products as (code, name), by name: the choices a form offers."""
    products = session.exec(
        select(Product).where(Product.active.is_(True)).order_by(Product.name)
    ).all()
    return [(p.code, p.name) for p in products]


def product_by_gtin(session: Session, gtin: str) -> Product | None:
    """The active product whose vials carry this GTIN-14, or None."""
    return session.exec(
        select(Product).where(Product.gtin == gtin, Product.active.is_(True))
    ).first()


def set_product_gtin(session: Session, *, code: str, gtin: str | None) -> Product:
    """Set (or clear, with None) the GTIN-14 a product's vials carry; Invalid if unknown."""
    product = session.exec(select(Product).where(Product.code == code)).first()
    if product is None:
        raise Invalid(f"unknown product {code!r}", field="product_code")
    if gtin is not None and not (len(gtin) == 14 and gtin.isdigit()):
        raise Invalid("a GTIN is 14 digits", field="gtin")
    product.gtin = gtin
    session.add(product)
    session.flush()
    return product
