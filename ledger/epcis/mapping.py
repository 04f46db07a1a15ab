"""Ledger steps to EPCIS 2.0 events: one mapping per step table.

| ledger step | EPCIS event |
|---|---|
| harvest | ObjectEvent ADD, bizStep commissioning, ilmd harvest date and origin |
| import | ObjectEvent ADD, bizStep receiving, customs declaration bizTransaction, ilmd country of origin |
| hand-off, accept, cancel | ObjectEvent OBSERVE shipping, receiving, void_shipping; source and destination lists |
| split / merge | TransformationEvent (repackaging) with input and output quantity lists |
| residue test | ObjectEvent OBSERVE inspecting, sensorElementList (substance, value, uom, limit) |
| quarantine release | ObjectEvent OBSERVE inspecting, disposition conformant |
| sale | ObjectEvent OBSERVE retail_selling, disposition retail_sold, the sold item's Digital Link |
| recall | ObjectEvent OBSERVE holding, disposition recalled (and persistently set) |

Times are block times in UTC. Each event carries its chain position (``MappedEvent.position``)
so queries can order and page them; the position is not part of the JSON.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.epcis import identifiers as ids
from ledger.epcis.vocabulary import CUSTOMS_DECLARATION_TYPE, term
from ledger.queries.views import LedgerRecords, Party

#: What each ledger step becomes, for queries to read only the tables (and rows) an event
#: filter can match: (table, rows: column -> values, event type, action, bizStep, disposition).
STEP_EVENTS: tuple[tuple[str, dict[str, tuple[Any, ...]], str, str | None, str, str], ...] = (
    ("harvests", {}, "ObjectEvent", "ADD", "commissioning", "active"),
    ("imports", {}, "ObjectEvent", "ADD", "receiving", "active"),
    ("custody", {"kind": ("shipped",)}, "ObjectEvent", "OBSERVE", "shipping", "in_transit"),
    ("custody", {"kind": ("received",)}, "ObjectEvent", "OBSERVE", "receiving", "in_progress"),
    ("custody", {"kind": ("cancelled",)}, "ObjectEvent", "OBSERVE", "void_shipping", "active"),
    ("lineage", {}, "TransformationEvent", None, "repackaging", "active"),
    ("inspections", {"passed": (True,)}, "ObjectEvent", "OBSERVE", "inspecting", "conformant"),
    ("inspections", {"passed": (False,)}, "ObjectEvent", "OBSERVE", "inspecting", "non_conformant"),
    ("releases", {}, "ObjectEvent", "OBSERVE", "inspecting", "conformant"),
    ("sales", {}, "ObjectEvent", "OBSERVE", "retail_selling", "retail_sold"),
    ("recalls", {}, "ObjectEvent", "OBSERVE", "holding", "recalled"),
)
_CUSTODY = {
    where["kind"][0]: (step, disposition) for table, where, _, _, step, disposition in STEP_EVENTS if table == "custody"
}


@dataclass(frozen=True)
class MappedEvent:
    """An EPCIS event and where on the chain it comes from (block, log index)."""

    position: tuple[int, int]
    event: dict[str, Any]


def iso_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


class _Mapper:
    """Builds the events of one :class:`LedgerRecords`."""

    def __init__(self, records: LedgerRecords) -> None:
        self.r = records

    # -------------------------------------------------------------- helpers

    def lot(self, batch_id: str) -> str:
        b = self.r.batches[batch_id]
        return ids.lot_uri(b["gtin"], b["lot"])

    def quantity(self, batch_id: str, quantity: int) -> dict[str, Any]:
        return {"epcClass": self.lot(batch_id), "quantity": int(quantity), "uom": self.r.batches[batch_id]["unit"]}

    def party(self, address: str) -> Party:
        return self.r.parties.get(address, Party(address))

    def location(self, address: str) -> dict[str, str]:
        party = self.party(address)
        return {"id": ids.place_uri(party.identifier, address) or ids.participant_uri(address)}

    def parties(self, kind: str, address: str) -> list[dict[str, str]]:
        uri = ids.participant_uri(address)
        return [{"type": "owning_party", kind: uri}, {"type": "possessing_party", kind: uri}]

    def base(self, row: dict[str, Any], event_type: str, log_index: int | None = None) -> dict[str, Any]:
        log = row["log_index"] if log_index is None else log_index
        return {
            "type": event_type,
            "eventID": ids.event_id(row["tx_hash"], log),
            "eventTime": iso_time(int(row["block_time"])),
            "eventTimeZoneOffset": "+00:00",
        }

    @staticmethod
    def at(row: dict[str, Any]) -> tuple[int, int]:
        return int(row["block_number"]), int(row["log_index"])

    # -------------------------------------------------------------- steps

    def harvest(self, row: dict[str, Any]) -> MappedEvent:
        b = self.r.batches[row["batch_id"]]
        origin = ids.place_uri(row["origin"], row["supplier"])
        harvested = iso_time(int(row["harvested_at"]))
        ilmd: dict[str, Any] = {
            "cbvmda:harvestStartDate": harvested,
            "cbvmda:harvestEndDate": harvested,
            "cbvmda:lotNumber": b["lot"],
            term("origin"): row["origin"],
        }
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": origin},
            "bizLocation": {"id": origin},
            "quantityList": [self.quantity(row["batch_id"], b["quantity"])],
            "destinationList": self.parties("destination", row["supplier"]),
            "ilmd": ilmd,
        }
        if row["document_cid"]:
            event[term("documentCid")] = row["document_cid"]
        return MappedEvent(self.at(row), event)

    def imported(self, row: dict[str, Any]) -> MappedEvent:
        b = self.r.batches[row["batch_id"]]
        port = ids.port_uri(row["entry_port"])
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [],
            "action": "ADD",
            "bizStep": "receiving",
            "disposition": "active",
            "readPoint": {"id": port},
            "bizLocation": {"id": port},
            "quantityList": [self.quantity(row["batch_id"], b["quantity"])],
            "bizTransactionList": [
                {
                    "type": CUSTOMS_DECLARATION_TYPE,
                    "bizTransaction": ids.customs_declaration_uri(row["declaration_number"]),
                }
            ],
            "sourceList": [{"type": "location", "source": ids.country_uri(row["origin_country"])}],
            "destinationList": self.parties("destination", row["importer"]),
            "ilmd": {
                "cbvmda:countryOfOrigin": row["origin_country"],
                "cbvmda:lotNumber": b["lot"],
                # CBV has no master data attribute for the tariff classification.
                **({term("hsCode"): row["hs_code"]} if row.get("hs_code") else {}),
            },
            term("clearedAt"): iso_time(int(row["cleared_at"])),
            term("customsOfficer"): ids.participant_uri(row["customs"]),
        }
        if row["document_cid"]:
            event[term("documentCid")] = row["document_cid"]
        return MappedEvent(self.at(row), event)

    def custody(self, row: dict[str, Any]) -> MappedEvent:
        step, disposition = _CUSTODY[row["kind"]]
        quantity = row["quantity"]
        if quantity is None:
            quantity = self.r.batches[row["batch_id"]]["quantity"]
        where = row["from_address"] if row["kind"] != "received" else row["to_address"]
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [],
            "action": "OBSERVE",
            "bizStep": step,
            "disposition": disposition,
            "readPoint": self.location(where),
            "bizLocation": self.location(where),
            "quantityList": [self.quantity(row["batch_id"], quantity)],
            "sourceList": self.parties("source", row["from_address"]),
            "destinationList": self.parties("destination", row["to_address"]),
        }
        return MappedEvent(self.at(row), event)

    def transformations(self, edges: list[dict[str, Any]]) -> list[MappedEvent]:
        """A split is one log per child: the children of one parent in one transaction are one
        event. A merge is one log naming every parent."""
        groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        for e in edges:
            key = (
                ("merge", e["tx_hash"], e["log_index"])
                if e["kind"] == "merge"
                else ("split", e["tx_hash"], e["parent_id"])
            )
            groups[key].append(e)
        found = []
        for (kind, _, _), group in groups.items():
            group.sort(key=lambda e: (e["log_index"], e["position"]))
            first = group[0]
            if kind == "merge":
                inputs = [self.quantity(e["parent_id"], e["quantity"]) for e in group]
                outputs = [self.quantity(first["child_id"], sum(int(e["quantity"]) for e in group))]
            else:
                inputs = [self.quantity(first["parent_id"], sum(int(e["quantity"]) for e in group))]
                outputs = [self.quantity(e["child_id"], e["quantity"]) for e in group]
            event = {
                **self.base(first, "TransformationEvent"),
                "inputQuantityList": inputs,
                "outputQuantityList": outputs,
                "bizStep": "repackaging",
                "disposition": "active",
                "readPoint": self.location(first["custodian"]),
                "bizLocation": self.location(first["custodian"]),
                term("repackedBy"): ids.participant_uri(first["custodian"]),
            }
            found.append(MappedEvent(self.at(first), event))
        return found

    def inspection(self, row: dict[str, Any]) -> MappedEvent:
        residues = self.r.residues.get((row["block_number"], row["log_index"]), [])
        time = iso_time(int(row["block_time"]))
        reports = []
        for r in residues:
            report = {
                "type": "MassConcentration",
                "chemicalSubstance": ids.substance_uri(r["substance"]),
                "value": int(r["measured"]),
                "uom": ids.unit_code(r["unit"]),
                term("limit"): int(r["limit_value"]),
                term("substanceName"): r["substance"],
                term("unitText"): r["unit"],
            }
            if int(r["measured"]) > int(r["limit_value"]):
                report["exception"] = "ALARM_CONDITION"
            reports.append(report)
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [],
            "action": "OBSERVE",
            "bizStep": "inspecting",
            "disposition": "conformant" if row["passed"] else "non_conformant",
            "readPoint": self.location(row["lab"]),
            "quantityList": [{"epcClass": self.lot(row["batch_id"])}],
            term("passed"): bool(row["passed"]),
            term("lab"): ids.participant_uri(row["lab"]),
        }
        if reports:
            event["sensorElementList"] = [{"sensorMetadata": {"time": time}, "sensorReport": reports}]
        if row["report_cid"]:
            event[term("reportCid")] = row["report_cid"]
        return MappedEvent(self.at(row), event)

    def release(self, row: dict[str, Any]) -> MappedEvent:
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [],
            "action": "OBSERVE",
            "bizStep": "inspecting",
            "disposition": "conformant",
            "readPoint": self.location(row["regulator"]),
            "quantityList": [{"epcClass": self.lot(row["batch_id"])}],
            term("quarantineReleased"): True,
            term("reason"): row["reason"],
        }
        return MappedEvent(self.at(row), event)

    def sale(self, row: dict[str, Any]) -> MappedEvent:
        b = self.r.batches[row["batch_id"]]
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [ids.item_uri(b["gtin"], b["lot"], row["serial"])],
            "action": "OBSERVE",
            "bizStep": "retail_selling",
            "disposition": "retail_sold",
            "readPoint": self.location(row["vendor"]),
            "bizLocation": self.location(row["vendor"]),
            "quantityList": [self.quantity(row["batch_id"], row["quantity"])],
            "sourceList": self.parties("source", row["vendor"]),
            term("price"): int(row["price"]),
            term("currency"): row["currency"],
        }
        return MappedEvent(self.at(row), event)

    def recall(self, row: dict[str, Any]) -> MappedEvent:
        event = {
            **self.base(row, "ObjectEvent"),
            "epcList": [],
            "action": "OBSERVE",
            "bizStep": "holding",
            "disposition": "recalled",
            "persistentDisposition": {"set": ["recalled"]},
            "readPoint": self.location(row["regulator"]),
            "quantityList": [{"epcClass": self.lot(row["batch_id"])}],
            term("reason"): row["reason"],
            term("regulator"): ids.participant_uri(row["regulator"]),
        }
        return MappedEvent(self.at(row), event)


def events_of(records: LedgerRecords) -> list[MappedEvent]:
    """Every EPCIS event of `records`, in chain order."""
    m = _Mapper(records)
    rows = records.rows
    found = [
        *(m.harvest(r) for r in rows["harvests"]),
        *(m.imported(r) for r in rows["imports"]),
        *(m.custody(r) for r in rows["custody"]),
        *m.transformations(rows["lineage"]),
        *(m.inspection(r) for r in rows["inspections"]),
        *(m.release(r) for r in rows["releases"]),
        *(m.sale(r) for r in rows["sales"]),
        *(m.recall(r) for r in rows["recalls"]),
    ]
    found.sort(key=lambda e: e.position)
    return found
