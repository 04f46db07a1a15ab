"""One spreadsheet row per critical tracking event, with FSMA 204's key data elements.

The CTEs are those of 21 CFR 1.1325-1.1350, read off the ledger's events:

| ledger event                 | rows (``cte``)                                              |
|------------------------------|-------------------------------------------------------------|
| harvest registered           | Harvesting, then Initial Packing (the farm assigns the lot)  |
| customs import               | Receiving (the importer's, with the customs declaration)     |
| hand-off initiated           | Shipping                                                     |
| hand-off accepted            | Receiving                                                    |
| split / merge                | Transformation: one Input row per lot used, one Output row   |

Steps that are not CTEs appear as reference rows (``record_type`` "Reference") so a
regulator sees the whole story in one sortable sheet: Inspection, Quarantine Release,
Recall, Shipment Cancelled and Sale (the end of the chain: sale to a consumer).

The traceability lot code (TLC) is the GS1 lot (AI 10) with the GTIN beside it (GTIN + lot
is the GS1 traceability lot code); its source is whoever assigned it: the farm, the importer
or the repacker. Location descriptions are participants' names with their GLN or licence
number, as recorded on-chain. Every row names the chain event it comes from (``event_id`` =
transaction hash and log index), so any value can be checked against the chain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.queries.views import LedgerRecords, Party

#: UN/ECE Recommendation 20 codes the ledger uses, as people write them.
UNIT_NAMES = {"KGM": "kg", "GRM": "g", "LBR": "lb", "H87": "piece", "CS": "case", "LTR": "l"}

LEDGER_TRANSACTION = "FreshLedger transaction"
CUSTOMS_DECLARATION = "Customs declaration"


@dataclass(frozen=True)
class FsmaRow:
    """One row of the sortable spreadsheet. Times are Unix seconds (UTC)."""

    event_id: str
    cte: str
    record_type: str  # "CTE" or "Reference" (a step FSMA 204 does not call a CTE)
    transformation_role: str  # "Input" or "Output" on Transformation rows, else ""
    tlc: str
    tlc_source: str
    tlc_source_reference: str
    product_description: str
    gtin: str
    quantity: int | None
    unit: str
    event_time: int
    location: str
    harvest_date: int | None
    harvest_location: str
    ship_from: str
    ship_to: str
    previous_source: str
    receiving_location: str
    reference_document_type: str
    reference_document_number: str
    document_cid: str
    hs_code: str
    notes: str
    tx_hash: str
    block_number: int


#: Column headers in sheet order, named after the KDEs of 21 CFR 1.1325-1.1350 and the
#: columns of FDA's electronic sortable spreadsheet.
HEADERS: dict[str, str] = {
    "event_id": "Event ID",
    "cte": "Critical Tracking Event (CTE)",
    "record_type": "Record Type",
    "transformation_role": "Transformation Input/Output",
    "tlc": "Traceability Lot Code (TLC)",
    "tlc_source": "Traceability Lot Code Source (Location Description)",
    "tlc_source_reference": "Traceability Lot Code Source Reference",
    "product_description": "Product Description",
    "gtin": "GTIN",
    "quantity": "Quantity",
    "unit": "Unit of Measure",
    "event_time": "Event Date/Time (UTC)",
    "location": "Event Location Description",
    "harvest_date": "Harvest Date (UTC)",
    "harvest_location": "Harvest Location Description",
    "ship_from": "Ship-From Location Description",
    "ship_to": "Ship-To Location Description",
    "previous_source": "Immediate Previous Source Location Description",
    "receiving_location": "Receiving Location Description",
    "reference_document_type": "Reference Document Type",
    "reference_document_number": "Reference Document Number",
    "document_cid": "Document CID",
    "hs_code": "HS Code",
    "notes": "Notes",
    "tx_hash": "Transaction Hash",
    "block_number": "Block Number",
}

#: Fields holding Unix times (written as dates).
TIME_FIELDS = ("event_time", "harvest_date")


def describe(party: Party | None) -> str:
    """A participant as a location description: name and GLN or licence number."""
    if party is None:
        return ""
    if not party.name:
        return party.address
    return f"{party.name} ({party.identifier})" if party.identifier else party.name


def unit_name(code: str) -> str:
    name = UNIT_NAMES.get(code)
    return f"{name} ({code})" if name else code


def build_rows(records: LedgerRecords) -> list[FsmaRow]:
    """The spreadsheet rows of `records`, in chain order."""
    return _RowBuilder(records).rows()


class _RowBuilder:
    def __init__(self, records: LedgerRecords) -> None:
        self.records = records
        self.parties = records.parties
        self._sorted: list[tuple[tuple[int, int, int], FsmaRow]] = []

    def rows(self) -> list[FsmaRow]:
        events = self.records.rows
        for r in events["harvests"]:
            self._harvest(r)
        for r in events["imports"]:
            self._import(r)
        for r in events["custody"]:
            self._custody(r)
        by_log: dict[tuple[int, int], list[Mapping[str, Any]]] = defaultdict(list)
        for r in events["lineage"]:
            by_log[(r["block_number"], r["log_index"])].append(r)
        for edges in by_log.values():
            self._transformation(sorted(edges, key=lambda e: e["position"]))
        residues = self.records.residues
        for r in events["inspections"]:
            self._inspection(r, residues.get((int(r["block_number"]), int(r["log_index"])), []))
        for r in events["releases"]:
            self._reference(r, "Quarantine Release", self.parties[r["regulator"]], f"released: {r['reason']}")
        for r in events["recalls"]:
            self._reference(r, "Recall", self.parties[r["regulator"]], f"recalled: {r['reason']}")
        for r in events["sales"]:
            self._sale(r)
        self._sorted.sort(key=lambda item: item[0])
        return [row for _, row in self._sorted]

    # ------------------------------------------------------------ shared columns

    def _lot(self, batch_id: str) -> dict[str, Any]:
        """The columns every row about lot `batch_id` carries."""
        batch = self.records.batches.get(batch_id)
        source = self.records.sources.get(batch_id)
        party = self.parties[source[0]] if source else None
        if batch is None:  # a lineage edge to a batch the database does not have
            return {
                "tlc": "",
                "gtin": "",
                "product_description": "",
                "unit": "",
                "tlc_source": "",
                "tlc_source_reference": "",
            }
        return {
            "tlc": batch["lot"],
            "gtin": batch["gtin"],
            "product_description": f"GTIN {batch['gtin']}",
            "unit": unit_name(batch["unit"]),
            "tlc_source": describe(party),
            "tlc_source_reference": (party.identifier or party.address) if party else "",
        }

    def _quantity(self, batch_id: str) -> int | None:
        """The quantity a lot was created with (None if the database lacks the batch)."""
        batch = self.records.batches.get(batch_id)
        return None if batch is None else int(batch["quantity"])

    def _add(self, r: Mapping[str, Any], order: int, cte: str, batch_id: str, **values: Any) -> None:
        row = {
            "event_id": f"{r['tx_hash']}:{r['log_index']}",
            "cte": cte,
            "record_type": "CTE",
            "transformation_role": "",
            **self._lot(batch_id),
            "quantity": None,
            "event_time": int(r["block_time"]),
            "location": "",
            "harvest_date": None,
            "harvest_location": "",
            "ship_from": "",
            "ship_to": "",
            "previous_source": "",
            "receiving_location": "",
            "reference_document_type": LEDGER_TRANSACTION,
            "reference_document_number": r["tx_hash"],
            "document_cid": "",
            "hs_code": "",
            "notes": "",
            "tx_hash": r["tx_hash"],
            "block_number": int(r["block_number"]),
        }
        row.update(values)
        self._sorted.append(((int(r["block_number"]), int(r["log_index"]), order), FsmaRow(**row)))

    # ------------------------------------------------------------ CTEs

    def _harvest(self, r: Mapping[str, Any]) -> None:
        farm = describe(self.parties[r["supplier"]])
        harvest = {
            "quantity": self._quantity(r["batch_id"]),
            "harvest_date": int(r["harvested_at"]),
            "harvest_location": f"{farm}; growing area {r['origin']}",
            "document_cid": r["document_cid"] or "",
        }
        self._add(
            r,
            0,
            "Harvesting",
            r["batch_id"],
            event_time=int(r["harvested_at"]),
            location=harvest["harvest_location"],
            **harvest,
        )
        self._add(
            r, 1, "Initial Packing", r["batch_id"], location=farm, notes="lot code assigned by the farm", **harvest
        )

    def _import(self, r: Mapping[str, Any]) -> None:
        importer = describe(self.parties[r["importer"]])
        self._add(
            r,
            0,
            "Receiving",
            r["batch_id"],
            quantity=self._quantity(r["batch_id"]),
            event_time=int(r["cleared_at"]),
            location=importer,
            previous_source=f"foreign shipper in {r['origin_country']} (per customs declaration)",
            receiving_location=importer,
            reference_document_type=CUSTOMS_DECLARATION,
            reference_document_number=r["declaration_number"],
            document_cid=r["document_cid"] or "",
            hs_code=r.get("hs_code") or "",
            notes=(
                f"import: country of origin {r['origin_country']}, entry port {r['entry_port']}, "
                f"cleared by {describe(self.parties[r['customs']])}"
            ),
        )

    def _custody(self, r: Mapping[str, Any]) -> None:
        sender, recipient = describe(self.parties[r["from_address"]]), describe(self.parties[r["to_address"]])
        quantity = None if r["quantity"] is None else int(r["quantity"])
        if r["kind"] == "shipped":
            self._add(
                r, 0, "Shipping", r["batch_id"], quantity=quantity, location=sender, ship_from=sender, ship_to=recipient
            )
        elif r["kind"] == "received":
            self._add(
                r,
                0,
                "Receiving",
                r["batch_id"],
                quantity=quantity,
                location=recipient,
                previous_source=sender,
                receiving_location=recipient,
            )
        else:
            self._add(
                r,
                0,
                "Shipment Cancelled",
                r["batch_id"],
                record_type="Reference",
                location=sender,
                ship_from=sender,
                ship_to=recipient,
                notes="hand-off cancelled by the sender; the food stayed with the sender",
            )

    def _transformation(self, edges: list[Mapping[str, Any]]) -> None:
        """One Input row per lot used and one Output row for the new lot (one chain event)."""
        first = edges[0]
        child = first["child_id"]
        where = describe(self.parties[first["custodian"]])
        kind = "split" if first["kind"] == "split" else "merge"
        inputs = [self.records.batches[e["parent_id"]]["lot"] for e in edges if e["parent_id"] in self.records.batches]
        for order, edge in enumerate(edges):
            self._add(
                edge,
                order,
                "Transformation",
                edge["parent_id"],
                transformation_role="Input",
                quantity=int(edge["quantity"]),
                location=where,
                notes=f"{kind}: used for lot {self._lot(child)['tlc']}",
            )
        self._add(
            first,
            len(edges),
            "Transformation",
            child,
            transformation_role="Output",
            quantity=self._quantity(child),
            location=where,
            notes=f"{kind} of lot{'s' if len(inputs) > 1 else ''} {', '.join(inputs)}",
        )

    # ------------------------------------------------------------ reference rows

    def _reference(self, r: Mapping[str, Any], cte: str, actor: Party, notes: str, **values: Any) -> None:
        self._add(r, 0, cte, r["batch_id"], record_type="Reference", location=describe(actor), notes=notes, **values)

    def _inspection(self, r: Mapping[str, Any], residues: list[Mapping[str, Any]]) -> None:
        found = "; ".join(f"{x['substance']} {x['measured']}/{x['limit_value']} {x['unit']}" for x in residues)
        verdict = "passed" if r["passed"] else "FAILED, quarantined"
        notes = f"{verdict}: {found}" if found else verdict
        self._reference(r, "Inspection", self.parties[r["lab"]], notes, document_cid=r["report_cid"] or "")

    def _sale(self, r: Mapping[str, Any]) -> None:
        vendor = self.parties[r["vendor"]]
        price = f"{int(r['price'])} {r['currency']} minor units"
        notes = f"sale {r['serial']} to a consumer ({r['sale_id']}), price {price}"
        self._reference(r, "Sale", vendor, notes, quantity=int(r["quantity"]))
