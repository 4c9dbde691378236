"""The IVIG products the pharmacy stocks, as forms offer them, and the GTIN on their vials."""

from sqlmodel import Session, select

from tracker.formats.gs1 import GtinError, gtin_14
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Conflict, Invalid, NotFound
from tracker.store.models import Product


def product_choices(session: Session) -> list[tuple[str, str]]:
    """The active products as (code, name), by name: the choices a form offers."""
    products = session.exec(
        select(Product).where(Product.active.is_(True)).order_by(Product.name)
    ).all()
    return [(p.code, p.name) for p in products]


def all_products(session: Session) -> list[Product]:
    """Every product, those in use first, each group by name (the admin's list)."""
    return list(session.exec(select(Product).order_by(Product.active.desc(), Product.name)).all())


def get_product(session: Session, product_id: int) -> Product:
    """The product with this id, or NotFound."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product with id {product_id}")
    return product


def product_by_gtin(session: Session, gtin: str) -> Product | None:
    """The active product whose vials carry this GTIN-14, or None."""
    return session.exec(
        select(Product).where(Product.gtin == gtin, Product.active.is_(True))
    ).first()


def set_product_gtin(
    session: Session, *, actor: Actor, product_id: int, gtin: str | None
) -> Product:
    """Set the GTIN a product's vials carry, typed as on the pack (8, 12, 13 or 14 digits,
    kept as the GTIN-14 the scanner reads), or clear it (None or blank); audited.

    NotFound for an unknown product, Invalid (field `gtin`) for a number that is not a GTIN
    (length, digits, check digit), Conflict (field `gtin`) when another product has it: the
    scanner must never fill the wrong product.
    """
    product = get_product(session, product_id)
    new = None
    if gtin is not None and gtin.strip():
        try:
            new = gtin_14(gtin)
        except GtinError as exc:
            raise Invalid(exc.message, field="gtin") from None
        other = session.exec(
            select(Product).where(Product.gtin == new, Product.id != product.id)
        ).first()
        if other is not None:
            raise Conflict(
                f"GTIN {new} is already set for {other.name}"
                f"{'' if other.active else ' (no longer in use)'}: one GTIN belongs to one "
                "product. If it was set there by mistake, clear it there first.",
                field="gtin",
            )
    before = product.gtin
    if new == before:
        return product
    product.gtin = new
    session.add(product)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="product.gtin",
        entity="product",
        entity_id=product.id,
        changes=audit.diff({"gtin": before}, {"gtin": new}),
    )
    return product
