"""Request and response bodies. Inputs are validated here, at the edge, with the same rules
the contract enforces and more (an ISO country or currency code must be assigned, a GTIN's
check digit right, a date not in the future), so a bad request gets a 422 naming the field
before any transaction is signed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import pycountry
from eth_utils import is_address, to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ledger.gs1 import normalize_gtin

#: GS1 AI (10) / (21) values: 1-20 characters of GS1's CSET 82.
CSET82 = r"^[!\"%-?A-Z_a-z]{1,20}$"


def _gtin(value: str) -> str:
    return normalize_gtin(value)


def _address(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"{value!r} is not an Ethereum address")
    return to_checksum_address(value)


def _country(value: str) -> str:
    if pycountry.countries.get(alpha_2=value.upper()) is None or len(value) != 2:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


def _currency(value: str) -> str:
    if pycountry.currencies.get(alpha_3=value.upper()) is None or len(value) != 3:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value.upper()


def _past(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > datetime.now(UTC):
        raise ValueError("the date lies in the future")
    return value


def _not_blank(value: str) -> str:
    # Spaces alone would pass the contract's non-empty check and record a blank reason or name.
    if not value.strip():
        raise ValueError("the text is blank")
    return value


def _distinct(values: list[str]) -> list[str]:
    # The contract would answer BatchSoldOut for the second copy: say what is wrong instead.
    if len(set(values)) != len(values):
        raise ValueError("a batch id appears more than once")
    return values


def _batch_id(value: str) -> str:
    text = value.lower()
    if not (text.startswith("0x") and len(text) == 66 and all(c in "0123456789abcdef" for c in text[2:])):
        raise ValueError("a batch id is 0x and 64 hex digits")
    return text


Gtin = Annotated[str, AfterValidator(_gtin), Field(examples=["06901234000016"])]
Lot = Annotated[str, Field(pattern=CSET82, examples=["GV-2611-01"])]
Address = Annotated[str, AfterValidator(_address), Field(examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"])]
BatchId = Annotated[str, AfterValidator(_batch_id)]
Unit = Annotated[str, Field(pattern=r"^[A-Z0-9]{3}$", examples=["KGM"], description="UN/ECE Rec 20 unit code")]
Quantity = Annotated[int, Field(gt=0, lt=2**63, examples=[400])]
PastDate = Annotated[datetime, AfterValidator(_past)]
Country = Annotated[str, AfterValidator(_country), Field(examples=["TH"])]
Currency = Annotated[str, AfterValidator(_currency), Field(examples=["CNY"])]
Cid = Annotated[str, Field(min_length=4, max_length=128, examples=["bafkreib..."], description="a CID (text form)")]
Text200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HarvestCreate(Strict):
    gtin: Gtin
    lot: Lot
    quantity: Quantity
    unit: Unit = "KGM"
    harvested_at: PastDate
    origin: Text200 = Field(description="GLN of the farm, or a geo URI such as geo:30.2336,119.7248")
    document_cid: Cid | None = None


class ImportCreate(Strict):
    gtin: Gtin
    lot: Lot
    quantity: Quantity
    unit: Unit = "KGM"
    importer: Address
    origin_country: Country
    declaration_number: Text200
    cleared_at: PastDate
    entry_port: Text200 = Field(examples=["CNNGB"], description="UN/LOCODE or GLN of the port of entry")
    document_cid: Cid | None = None


class HandOffCreate(Strict):
    to: Address


class SplitPart(Strict):
    lot: Lot
    quantity: Quantity


class SplitCreate(Strict):
    parts: list[SplitPart] = Field(min_length=1, max_length=200)


class MergeCreate(Strict):
    batch_ids: Annotated[list[BatchId], AfterValidator(_distinct)] = Field(min_length=2, max_length=200)
    lot: Lot


class ResidueIn(Strict):
    substance: Text200
    measured: Annotated[int, Field(ge=0, lt=2**64)]
    limit: Annotated[int, Field(ge=0, lt=2**64)]
    unit: Annotated[str, Field(min_length=1, max_length=16)] = "ug/kg"


class InspectionCreate(Strict):
    batch_id: BatchId
    passed: bool
    residues: list[ResidueIn] = Field(default_factory=list, max_length=100)
    report_cid: Cid | None = None


class SaleCreate(Strict):
    batch_id: BatchId
    quantity: Quantity
    price: Annotated[int, Field(ge=0, lt=2**128, description="total price in minor units (fen, cents)")]
    currency: Currency = "CNY"


class SalesBulkCreate(Strict):
    sales: list[SaleCreate] = Field(min_length=1, max_length=1000)


class RecallCreate(Strict):
    batch_ids: list[BatchId] = Field(min_length=1, max_length=500)
    reason: Text200


class ReleaseCreate(Strict):
    reason: Text200


class ParticipantCreate(Strict):
    role: Literal["SUPPLIER", "CUSTOMS", "LAB", "VENDOR", "REGULATOR"]
    name: Text200
    identifier: Text200 = Field(description="GS1 GLN or licence number")
    address: Address | None = Field(None, description="omit to have the market keep a new key for the participant")


class SuspendCreate(Strict):
    reason: Text200


class RawTransaction(Strict):
    raw_transaction: Annotated[
        str, Field(pattern=r"^0x(?:[0-9a-fA-F]{2})+$", description="a signed EIP-1559 transaction")
    ]


class TxResponse(BaseModel):
    """A mined transaction: the API answers only after the block is in."""

    transaction_hash: str
    block_number: int
    events: list[dict[str, Any]]
    batch_ids: list[str] = Field(default_factory=list)
    sale_id: str | None = None
    qr_url: str | None = None
    intent_id: int | None = Field(None, description="the write queue's record of this write: GET /intents/{id}")


class ParticipantCreated(TxResponse):
    address: str
    api_key: str = Field(description="shown once; store it safely")
