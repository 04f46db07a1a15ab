"""The market authority's catalog screen: every product (GTIN, default name, its names in
English, Chinese and Korean), and a form to add one or edit one.

The form is checked by the very functions behind ``PUT /products/{gtin}``
(:func:`ledger.store.products.set_product`: the GTIN and its check digit, each name), one
field at a time so that each error stands beside its field. Saving sets the entry whole, so
the same form sent twice leaves one entry, as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.workbench.fields import Reader
from api.workbench.render import FormState, render, when
from api.workbench.session import FormDep, SignedIn, person_with
from ledger.store.products import (
    MAX_NAME,
    InvalidProduct,
    ProductRecord,
    checked_gtin,
    clean_name,
    clean_names,
    list_products,
    set_product,
)

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Authority = Annotated[SignedIn, Depends(person_with("ADMIN"))]
T = TypeVar("T")
#: The languages the workbench speaks, each with its own name field (``name_en``, ...).
NAME_LANGUAGES = ("en", "zh", "ko")
#: Longest text a field is read at (a GTIN is 14 digits; longer text is an error, not cut).
MAX_FIELD = 4 * MAX_NAME


def _find(products: list[ProductRecord], gtin: str) -> ProductRecord | None:
    try:
        wanted = checked_gtin(gtin)
    except InvalidProduct:
        return None
    return next((p for p in products if p.gtin == wanted), None)


def _values_of(product: ProductRecord) -> dict[str, str]:
    return {"gtin": product.gtin, "name": product.name} | {
        f"name_{lang}": product.names.get(lang, "") for lang in NAME_LANGUAGES
    }


def _catalog_page(
    request: Request,
    who: SignedIn,
    *,
    f: FormState | None = None,
    editing: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    products = list_products(who.services.engine)
    if f is None:
        found = _find(products, editing) if editing else None
        f = FormState(values=_values_of(found)) if found else FormState()
        editing = found.gtin if found else None
    rows = [
        {
            "gtin": p.gtin,
            "name": p.name,
            "names": [p.names.get(lang, "") for lang in NAME_LANGUAGES],
            "updated": when(p.updated_at),
        }
        for p in products
    ]
    return render(
        request,
        who,
        "catalog.html",
        "title_catalog",
        status_code=status_code,
        products=rows,
        name_labels=[(lang, who.t(f"name_{lang}")) for lang in NAME_LANGUAGES],
        f=f,
        editing=editing,
        notice=notice,
    )


@router.get("/authority/catalog", response_class=HTMLResponse)
def catalog(request: Request, who: Authority) -> Response:
    """The catalog; ``?edit=<GTIN>`` fills the form with that product, ``?saved=<GTIN>``
    says it was saved."""
    saved = request.query_params.get("saved", "")
    notice = None
    if saved:
        found = _find(list_products(who.services.engine), saved)
        notice = who.t("product_saved", name=found.name_in(who.lang), gtin=found.gtin) if found else None
    return _catalog_page(request, who, editing=request.query_params.get("edit"), notice=notice)


@router.post("/authority/catalog", response_class=HTMLResponse)
async def save_product(request: Request, who: Authority, form: FormDep) -> Response:
    """Check every field (each error beside its field), then set the product's entry."""
    read = Reader(form, who.t)
    gtin = _field(read, "gtin", checked_gtin, "error_gtin")
    name = _field(read, "name", clean_name, "error_product_name")
    names: dict[str, str] = {}
    for lang in NAME_LANGUAGES:
        names |= _field(read, f"name_{lang}", _names_in(lang), "error_product_name", required=False) or {}
    if not read.state.ok or gtin is None or name is None:
        return await run_in_threadpool(lambda: _catalog_page(request, who, f=read.state, editing=gtin, status_code=422))
    engine = who.services.engine

    def save() -> ProductRecord:
        # Names in languages this form has no field for are kept as they were.
        before = _find(list_products(engine), gtin)
        kept = {lang: text for lang, text in (before.names if before else {}).items() if lang not in NAME_LANGUAGES}
        return set_product(engine, gtin, name, kept | names)

    saved = await run_in_threadpool(save)
    return RedirectResponse(f"/workbench/authority/catalog?saved={saved.gtin}", status_code=303)


def _names_in(lang: str) -> Callable[[str], dict[str, str]]:
    return lambda text: clean_names({lang: text})


def _field(read: Reader, name: str, check: Callable[[str], T], error_key: str, *, required: bool = True) -> T | None:
    """`check` of the field's text, or None (after noting `error_key` beside the field when
    `check` refuses it, or it is overlong)."""
    text = read.state.values.get(name, "")
    if not text.strip():
        if required:
            read.fail(name, "error_required")
        return None
    if len(text) > MAX_FIELD:
        read.fail(name, error_key)
        return None
    try:
        return check(text)
    except InvalidProduct:
        read.fail(name, error_key)
        return None
