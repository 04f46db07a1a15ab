"""Request and response bodies. Inputs are validated here, at the edge, with the same rules
the contract enforces and more (an ISO country or currency code must be assigned, a GTIN's
check digit right, a date not in the future), so a bad request gets a 422 naming the field
before any transaction is signed."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.limits import MAX_MERGE_PARENTS, MAX_RECALL_BATCHES, MAX_RESIDUES, MAX_SPLIT_PARTS
from ledger import fields
from ledger.fields import CSET82, UNIT_PATTERN
from ledger.gs1 import normalize_gtin

#: One line of visible text (names, reasons, origins, descriptions): 422 for hidden characters.
PlainLine = AfterValidator(fields.plain_line)
#: Visible text that may break lines (a shopper's comment typed in a text area).
PlainLines = AfterValidator(fields.plain_lines)


def _distinct(values: list[str]) -> list[str]:
    # The contract would answer BatchSoldOut for the second copy: say what is wrong instead.
    if len(set(values)) != len(values):
        raise ValueError("a batch id appears more than once")
    return values


_BATCH_ID = re.compile(r"0x[0-9a-f]{64}")


def _batch_id(value: str) -> str:
    text = value.lower()
    if not _BATCH_ID.fullmatch(text):  # a bulk request checks hundreds: one regex, no loop
        raise ValueError("a batch id is 0x and 64 hex digits")
    return text


Gtin = Annotated[str, AfterValidator(normalize_gtin), Field(examples=["06901234000016"])]
Lot = Annotated[str, Field(pattern=CSET82, examples=["GV-2611-01"])]
Address = Annotated[str, AfterValidator(fields.address), Field(examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"])]
BatchId = Annotated[str, AfterValidator(_batch_id)]
Unit = Annotated[str, Field(pattern=UNIT_PATTERN, examples=["KGM"], description="UN/ECE Rec 20 unit code")]
Quantity = Annotated[int, Field(gt=0, lt=2**63, examples=[400])]
PastDate = Annotated[datetime, AfterValidator(fields.past)]
Country = Annotated[str, AfterValidator(fields.country), Field(examples=["TH"])]
Currency = Annotated[str, AfterValidator(fields.currency), Field(examples=["CNY"])]
HsCode = Annotated[
    str, Field(pattern=r"^[0-9]{6,10}$", examples=["08106000"], description="Harmonized System code, 6 to 10 digits")
]
Cid = Annotated[str, Field(min_length=4, max_length=128, examples=["bafkreib..."], description="a CID (text form)")]
Text200 = Annotated[str, Field(min_length=1, max_length=200), PlainLine, AfterValidator(fields.not_blank)]


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
    hs_code: HsCode | None = None
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
    parts: list[SplitPart] = Field(min_length=1, max_length=MAX_SPLIT_PARTS)


class MergeCreate(Strict):
    batch_ids: Annotated[list[BatchId], AfterValidator(_distinct)] = Field(min_length=2, max_length=MAX_MERGE_PARENTS)
    lot: Lot


class ResidueIn(Strict):
    substance: Text200
    measured: Annotated[int, Field(ge=0, lt=2**63)]  # ResidueTooLarge on chain beyond
    limit: Annotated[int, Field(ge=0, lt=2**63)]
    unit: Annotated[str, Field(min_length=1, max_length=16), PlainLine, AfterValidator(fields.not_blank)] = "ug/kg"


class InspectionCreate(Strict):
    batch_id: BatchId
    passed: bool
    residues: list[ResidueIn] = Field(default_factory=list, max_length=MAX_RESIDUES)
    report_cid: Cid | None = None


class SaleCreate(Strict):
    batch_id: BatchId
    quantity: Quantity
    # The contract refuses prices over 2**63 - 1 (PriceTooLarge), as it refuses quantities:
    # every SQL database the indexer writes to holds them in a signed 64-bit integer.
    price: Annotated[int, Field(ge=0, lt=2**63, description="total price in minor units (fen, cents)")]
    currency: Currency = "CNY"


class SalesBulkCreate(Strict):
    sales: list[SaleCreate] = Field(min_length=1, max_length=1000)


class RecallCreate(Strict):
    batch_ids: list[BatchId] = Field(min_length=1, max_length=MAX_RECALL_BATCHES)
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
    receipt: str | None = Field(
        default=None,
        description="a sale's rating proof, for the receipt only (also in qr_url): the buyer's key to rate the stall",
    )
    intent_id: int | None = Field(None, description="the write queue's record of this write: GET /intents/{id}")


class ParticipantCreated(TxResponse):
    address: str
    api_key: str = Field(description="shown once; store it safely")
