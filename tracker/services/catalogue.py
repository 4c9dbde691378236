"""The site's products and chairs, retired ones included: what a patient's history may name."""

from sqlmodel import Session, col, select

from tracker.store.models import Chair, Product


def every_product(session: Session) -> list[Product]:
    """Every product, active or retired, by id."""
    return list(session.exec(select(Product).order_by(col(Product.id))).all())


def every_chair(session: Session) -> list[Chair]:
    """Every chair, active or retired, by id."""
    return list(session.exec(select(Chair).order_by(col(Chair.id))).all())
