"""The IVIG products the pharmacy stocks, as forms offer them."""

from sqlmodel import Session, col, select

from tracker.store.models import Product


def product_choices(session: Session) -> list[tuple[str, str]]:
    """The active products as (code, name), by name: the choices a form offers."""
    products = session.exec(select(Product).where(col(Product.active)).order_by(Product.name)).all()
    return [(p.code, p.name) for p in products]
