"""Admin page for the products: the GTIN on each product's vials, which the scanner on the
nurse's form reads to pick the product (set, changed or cleared here, audited)."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse

from tracker.services import products
from tracker.services.errors import NotFound, ServiceError
from tracker.web.deps import MAX_ROW_ID, DbSession, IdPath, PageAdmin, actor
from tracker.web.forms import VerifiedForm, form_values, service_error
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(prefix="/admin/products", include_in_schema=False)


def _key(product_id: int) -> str:
    """The prefix of a product's form fields in `values` and `errors`."""
    return f"product_{product_id}."


def _saved_note(db, product_id: int | None) -> str:
    """What was saved, said from what is stored now."""
    if product_id is None:
        return ""
    try:
        product = products.get_product(db, product_id)
    except NotFound:
        return ""
    if product.gtin:
        return f"Saved: {product.name} now has the GTIN {product.gtin}."
    return f"Saved: {product.name} has no GTIN now; a scanned vial no longer picks it."


def _page(request, db, *, values=None, errors=None, notice="", status=200):
    return render(
        request,
        "admin_products.html",
        {
            "products": products.all_products(db),
            "values": values or {},
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status,
    )


@router.get("")
def products_page(
    request: Request,
    db: DbSession,
    user: PageAdmin,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
):
    """Every product with its GTIN and a form to set or clear it."""
    return _page(request, db, notice=_saved_note(db, saved))


@router.post("/{product_id}/gtin")
def set_gtin(
    request: Request, db: DbSession, user: PageAdmin, form: VerifiedForm, product_id: IdPath
):
    """Set the product's GTIN as typed from the pack, or clear it ("clear", or left blank)."""
    values = form_values(form, ["gtin", "action"])
    gtin = None if values["action"] == "clear" else values["gtin"]
    try:
        products.set_product_gtin(db, actor=actor(request, user), product_id=product_id, gtin=gtin)
    except ServiceError as exc:
        db.rollback()
        errors = service_error(exc)
        return _page(
            request,
            db,
            status=exc.status_code,
            errors={(_key(product_id) + k if k != "__all__" else k): v for k, v in errors.items()},
            values={_key(product_id) + "gtin": values["gtin"]},
        )
    return RedirectResponse(f"/admin/products?saved={product_id}", status_code=303)
