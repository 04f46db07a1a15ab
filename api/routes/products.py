"""The market's product catalog: the names behind the GTINs the chain records.

``PUT /products/{gtin}`` (the market authority) names a product, in more languages if given;
``GET /products`` lists the catalog for anyone. The board, the stall screens, the shopper's
page and ``/market/prices`` show these names. The catalog lives in the API's database, not on
the chain: it is master data the market keeps, not a custody event.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import Caller, ServicesDep, require
from api.limits import MAX_PRODUCT_NAMES
from api.schemas import Gtin, PlainLine, Strict
from ledger.store.products import MAX_NAME, InvalidProduct, ProductRecord, list_products, set_product

router = APIRouter(prefix="/products", tags=["products"])
Authority = Annotated[Caller, Depends(require("ADMIN"))]


class ProductUpdate(Strict):
    """A product's name, and optionally its names by language code (``en``, ``zh``, ``ko``)."""

    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME), PlainLine] = Field(
        examples=["Leafy greens (qingcai)"]
    )
    names: dict[Annotated[str, PlainLine], Annotated[str, PlainLine]] | None = Field(
        default=None, max_length=MAX_PRODUCT_NAMES, examples=[{"zh": "青菜", "ko": "청경채"}]
    )


class ProductPublic(BaseModel):
    gtin: str
    name: str
    names: dict[str, str]
    updated_at: int


class ProductsPublic(BaseModel):
    data: list[ProductPublic]
    count: int


@router.put(
    "/{gtin}",
    response_model=ProductPublic,
    responses={422: {"description": "bad GTIN (check digit), empty or overlong name, bad language code"}},
)
def put_product(gtin: Gtin, body: ProductUpdate, caller: Authority) -> ProductPublic | JSONResponse:
    """Name the product with GTIN `gtin` (replacing any name it had). Market authority only."""
    try:
        record = set_product(caller.services.engine, gtin, body.name, body.names)
    except InvalidProduct as exc:
        return JSONResponse(
            {"error": "InvalidProduct", "message": str(exc)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    return _public(record)


@router.get("", response_model=ProductsPublic)
def get_products(services: ServicesDep) -> ProductsPublic:
    """Every product the market has named, by GTIN."""
    found = [_public(record) for record in list_products(services.engine)]
    return ProductsPublic(data=found, count=len(found))


def _public(record: ProductRecord) -> ProductPublic:
    return ProductPublic(gtin=record.gtin, name=record.name, names=record.names, updated_at=record.updated_at)
