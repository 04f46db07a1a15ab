"""A checked declaration file or harvest sheet as the write queue's payloads: a
declaration's lines in ``declaration_part`` intents of up to :data:`LINES_PER_CALL` lines (each
one ``registerImports`` call under the declaration's number), a sheet's lots as ``harvest``
intents. Pure: no database, no node."""

from __future__ import annotations

from ledger.chain.freshledger import HarvestLot, batch_id_of
from ledger.documents import parse_cid
from ledger.hexes import from_hex, to_hex
from ledger.intake.declaration import DeclarationFile
from ledger.intake.harvests import HarvestSheet
from ledger.intents.kinds import Payload

#: Lines (or lots) one call carries. A line costs about 34.5k gas (``bench/gas.py``), so 200
#: take about 7M: well under half of a 30M block, so that a call never waits for an empty
#: block nor crowds out the market's other writes, and an ``eth_call`` of it stays cheap.
LINES_PER_CALL = 200
DECLARATION_PART = "declaration_part"
HARVEST = "harvest"


def _cid_hex(text: str | None) -> str | None:
    return to_hex(bytes(parse_cid(text))) if text else None


def call_ranges(start: int, total: int, size: int) -> list[tuple[int, int]]:
    """(first, end) of each call covering items `start` to `total`."""
    return [(first, min(first + size, total)) for first in range(start, total, size)]


def declaration_payloads(
    declaration: DeclarationFile, start: int = 0, lines_per_call: int = LINES_PER_CALL
) -> list[Payload]:
    """The ``declaration_part`` payloads of lines `start`... of `declaration`: the header, the
    part's lines (and their rows in the file, to name one the chain refuses)."""
    header = {
        "declaration_number": declaration.number,
        "entry_port": declaration.entry_port,
        "cleared_at": declaration.cleared_at,
        "importer": declaration.importer,
        "document_cid": _cid_hex(declaration.document_cid),
        "line_count": len(declaration.lines),
    }
    parts = []
    for first, end in call_ranges(start, len(declaration.lines), lines_per_call):
        lines = declaration.lines[first:end]
        parts.append(
            {
                **header,
                "first_line": first,
                "lines": [
                    {
                        "gtin": line.gtin,
                        "lot": line.lot,
                        "quantity": line.quantity,
                        "unit": line.unit,
                        "origin_country": line.origin_country,
                        "hs_code": line.hs_code,
                    }
                    for line in lines
                ],
                "rows": [line.row for line in lines],
            }
        )
    return parts


def harvest_payloads(sheet: HarvestSheet) -> list[Payload]:
    """The ``harvest`` payloads of the sheet's lots (as ``POST /harvests`` queues one), with
    each lot's row in the file."""
    return [
        {
            "gtin": lot.gtin,
            "lot": lot.lot,
            "quantity": lot.quantity,
            "unit": lot.unit,
            "harvested_at": lot.harvested_at,
            "origin": lot.origin,
            "document_cid": _cid_hex(lot.document_cid),
            "row": lot.row,
        }
        for lot in sheet.lots
    ]


def harvest_lot(payload: Payload) -> HarvestLot:
    """The chain's lot of a ``harvest`` payload."""
    document = from_hex(payload["document_cid"]) if payload.get("document_cid") else b""
    return HarvestLot(
        payload["gtin"],
        payload["lot"],
        payload["quantity"],
        payload["unit"],
        payload["harvested_at"],
        payload["origin"],
        document,
    )


def batch_id_hex(gtin: str, lot: str) -> str:
    """The batch of (`gtin`, `lot`), as the index and the answers write it."""
    return to_hex(batch_id_of(gtin, lot))
