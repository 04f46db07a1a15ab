"""Projections: what each contract event means for the tables, as plain Python.

The projector turns a range of :class:`ChainEvent` into rows to insert (one list per table)
and into new states of the mutable entities (batches, participants). It keeps those states
in a :class:`StateCache` that the store fills before and writes back after, so a whole
range is applied with a handful of bulk statements. No SQL here: the same code serves the
live indexer and a rebuild from the raw event log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from ledger.chain.events import ChainEvent
from ledger.indexer.state import Rows, StateCache
from ledger.vocabulary import ACTIVE, EVENTS, QUARANTINED, RECALLED, ROLE_BIT_OF_ID, SOLD_OUT

#: The kind of a split's lineage edge and child batch (looked up once: a split is most of a
#: busy market's events).
_SPLIT = EVENTS["BatchSplit"].kind
#: The columns of a lineage edge after the event's (the model's order), made as tuples by the
#: handlers of splits and merges themselves.
_LINEAGE = ("parent_id", "child_id", "quantity", "kind", "custodian", "position")


def _lineage_edge(
    e: ChainEvent, parent_id: str, child_id: str, quantity: int, kind: str, custodian: str, position: int
) -> tuple[Any, ...]:
    """A lineage row: the event's columns, then _LINEAGE's."""
    return (
        e.block_number,
        e.log_index,
        e.block_time,
        e.tx_hash,
        parent_id,
        child_id,
        quantity,
        kind,
        custodian,
        position,
    )


class Projector:
    """Applies events to a :class:`StateCache` and collects the rows they produce."""

    def __init__(self, state: StateCache) -> None:
        self.state = state
        self.rows = Rows()
        # The header of each declaration by id, from its DeclarationRegistered: the lines that
        # follow in the same transaction (so in the same range of whole blocks) carry only
        # what differs between lines.
        self._declarations: dict[str, dict[str, Any]] = {}
        # Plain functions of the class, not bound methods: a bound method kept here would make
        # a reference cycle (projector -> handlers -> projector), and every range's rows and
        # states would wait for the cyclic collector instead of being freed once written.
        self._handlers: dict[str, Callable[[Projector, ChainEvent, dict[str, Any]], None] | None] = {}

    def apply(self, events: Iterable[ChainEvent]) -> None:
        raw_events = self.rows.raw_events()
        handlers = self._handlers
        dumps = orjson.dumps
        for event in events:
            raw_events.append(  # RAW_EVENT_COLUMNS; the args as the engine's JSON serialiser writes them
                (
                    event.block_number,
                    event.log_index,
                    event.block_hash,
                    event.block_time,
                    event.tx_hash,
                    event.tx_index,
                    event.name,
                    dumps(event.args).decode(),
                )
            )
            name = event.name
            if name not in handlers:  # looked up once per event name, not per event
                handlers[name] = getattr(type(self), f"_on_{name}", None)
            handler = handlers[name]
            if handler is not None:
                handler(self, event, event.args)

    # ------------------------------------------------------------ participants

    def _on_ParticipantRegistered(self, e: ChainEvent, a: dict[str, Any]) -> None:
        row = {
            "address": a["account"],
            "index": a["index"],
            "name": a["name"],
            "identifier": a["identifier"],
            "roles": 0,  # set by the RoleGranted event that follows
            "suspended": False,
            "suspension_reason": None,
            "registered_block": e.block_number,
            "registered_at": e.block_time,
        }
        self.state.put_participant(a["account"], row, e.block_number)

    def _on_ParticipantUpdated(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._update_participant(e, a["account"], name=a["name"], identifier=a["identifier"])

    def _on_ParticipantSuspended(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._update_participant(e, a["account"], suspended=True, suspension_reason=a["reason"])

    def _on_ParticipantReinstated(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._update_participant(e, a["account"], suspended=False, suspension_reason=None)

    def _on_RoleGranted(self, e: ChainEvent, a: dict[str, Any]) -> None:
        current = self.state.participant(a["account"])
        bit = ROLE_BIT_OF_ID.get(a["role"], 0)
        if current is not None and bit:
            self._update_participant(e, a["account"], roles=current["roles"] | bit)

    def _on_RoleRevoked(self, e: ChainEvent, a: dict[str, Any]) -> None:
        current = self.state.participant(a["account"])
        bit = ROLE_BIT_OF_ID.get(a["role"], 0)
        if current is not None and bit:
            self._update_participant(e, a["account"], roles=current["roles"] & ~bit)

    def _update_participant(self, e: ChainEvent, address: str, **changes: Any) -> None:
        current = self.state.participant(address)
        if current is None:
            return  # not a market participant (e.g. the authority's admin role)
        self.state.put_participant(address, {**current, **changes}, e.block_number)

    # ------------------------------------------------------------ origins

    def _create_batch(
        self, e: ChainEvent, batch_id: str, *, gtin: str, lot: str, unit: str, quantity: int, custodian: str, kind: str
    ) -> None:
        row = {
            "batch_id": batch_id,
            "gtin": gtin,
            "lot": lot,
            "unit": unit,
            "quantity": quantity,
            "remaining": quantity,
            "status": ACTIVE,
            "custodian": custodian,
            "pending_recipient": None,
            "sale_count": 0,
            "origin_kind": kind,
            "created_block": e.block_number,
            "created_log_index": e.log_index,
            "created_at": e.block_time,
            "created_tx": e.tx_hash,
        }
        self.state.put_batch(batch_id, row, e.block_number)

    def _on_HarvestRegistered(self, e: ChainEvent, a: dict[str, Any]) -> None:
        batch_id = a["batchId"]
        self._create_batch(
            e,
            batch_id,
            gtin=a["gtin"],
            lot=a["lot"],
            unit=a["unit"],
            quantity=a["quantity"],
            custodian=a["supplier"],
            kind=EVENTS["HarvestRegistered"].kind,
        )
        self.rows.add(
            "harvests",
            e,
            batch_id=batch_id,
            supplier=a["supplier"],
            harvested_at=a["harvestedAt"],
            origin=a["origin"],
            document_cid=a["documentCid"],
        )
        self._document(e, a["documentCid"], batch_id, "harvest")

    def _on_ImportRegistered(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._import(e, a, a, line=None)

    def _on_DeclarationRegistered(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._declarations[a["declarationId"]] = a

    def _on_ImportLineRegistered(self, e: ChainEvent, a: dict[str, Any]) -> None:
        header = self._declarations.get(a["declarationId"])
        if header is None:
            raise LookupError(
                f"ImportLineRegistered at {e.block_number}:{e.log_index} follows no DeclarationRegistered"
                f" of declaration {a['declarationId']}"
            )
        self._import(e, a, header, line=a["line"])

    def _import(self, e: ChainEvent, a: dict[str, Any], header: dict[str, Any], *, line: int | None) -> None:
        """One imported batch: `a` has the line's fields, `header` the declaration's (the same
        event for a single import)."""
        batch_id = a["batchId"]
        self._create_batch(
            e,
            batch_id,
            gtin=a["gtin"],
            lot=a["lot"],
            unit=a["unit"],
            quantity=a["quantity"],
            custodian=header["importer"],
            kind=EVENTS["ImportRegistered"].kind,
        )
        self.rows.add(
            "imports",
            e,
            batch_id=batch_id,
            importer=header["importer"],
            customs=header["customs"],
            origin_country=a["originCountry"],
            hs_code=a["hsCode"],
            declaration_number=header["declarationNumber"],
            declaration_line=line,
            cleared_at=header["clearedAt"],
            entry_port=header["entryPort"],
            document_cid=header["documentCid"],
        )
        self._document(e, header["documentCid"], batch_id, "import")

    def _document(self, e: ChainEvent, cid: str | None, batch_id: str, step: str) -> None:
        if cid:
            self.rows.add("documents", e, position=0, cid=cid, batch_id=batch_id, step=step)

    # ------------------------------------------------------------ custody

    def _change_batch(self, e: ChainEvent, batch_id: str, **changes: Any) -> None:
        if self.state.update_batch(batch_id, changes, e.block_number) is None:
            raise LookupError(f"event {e.name} at {e.block_number}:{e.log_index} names unknown batch {batch_id}")

    def _on_HandOffInitiated(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._change_batch(e, a["batchId"], pending_recipient=a["to"])
        self.rows.add(
            "custody_events",
            e,
            batch_id=a["batchId"],
            kind=EVENTS["HandOffInitiated"].kind,
            from_address=a["from"],
            to_address=a["to"],
            quantity=a["quantity"],
        )

    def _on_HandOffAccepted(self, e: ChainEvent, a: dict[str, Any]) -> None:
        before = self.state.batch(a["batchId"])
        handed_by = None if before is None else before["custodian"]
        self._change_batch(e, a["batchId"], custodian=a["to"], pending_recipient=None)
        self.rows.add(
            "custody_events",
            e,
            batch_id=a["batchId"],
            kind=EVENTS["HandOffAccepted"].kind,
            from_address=handed_by,
            to_address=a["to"],
            quantity=a["quantity"],
        )

    def _on_HandOffCancelled(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._change_batch(e, a["batchId"], pending_recipient=None)
        self.rows.add(
            "custody_events",
            e,
            batch_id=a["batchId"],
            kind=EVENTS["HandOffCancelled"].kind,
            from_address=a["from"],
            to_address=a["to"],
            quantity=None,
        )

    # ------------------------------------------------------------ repacking

    def _on_BatchSplit(self, e: ChainEvent, a: dict[str, Any]) -> None:
        parent_id, quantity = a["parentId"], a["quantity"]
        parent = self.state.batch(parent_id)
        if parent is None:
            raise LookupError(f"BatchSplit at {e.block_number}:{e.log_index} names unknown parent {parent_id}")
        remaining = parent["remaining"] - quantity
        status = SOLD_OUT if remaining == 0 else parent["status"]
        self.state.update_batch(parent_id, {"remaining": remaining, "status": status}, e.block_number)
        self._create_batch(
            e,
            a["childId"],
            gtin=parent["gtin"],
            lot=a["lot"],
            unit=parent["unit"],
            quantity=quantity,
            custodian=a["custodian"],
            kind=_SPLIT,
        )
        self.rows.table("lineage", _LINEAGE).append(
            _lineage_edge(e, parent_id, a["childId"], quantity, _SPLIT, a["custodian"], 0)
        )

    def _on_BatchesMerged(self, e: ChainEvent, a: dict[str, Any]) -> None:
        first = self.state.batch(a["parentIds"][0])
        if first is None:
            raise LookupError(f"BatchesMerged at {e.block_number}:{e.log_index} names unknown parents")
        lineage, kind = self.rows.table("lineage", _LINEAGE), EVENTS["BatchesMerged"].kind
        for position, (parent_id, quantity) in enumerate(zip(a["parentIds"], a["parentQuantities"], strict=True)):
            self._change_batch(e, parent_id, remaining=0, status=SOLD_OUT)
            lineage.append(_lineage_edge(e, parent_id, a["childId"], quantity, kind, a["custodian"], position))
        self._create_batch(
            e,
            a["childId"],
            gtin=first["gtin"],
            lot=a["lot"],
            unit=first["unit"],
            quantity=a["quantity"],
            custodian=a["custodian"],
            kind=EVENTS["BatchesMerged"].kind,
        )

    # ------------------------------------------------------------ food safety, sale, recall

    def _on_InspectionRecorded(self, e: ChainEvent, a: dict[str, Any]) -> None:
        batch = self.state.batch(a["batchId"])
        if not a["passed"] and batch is not None and batch["status"] == ACTIVE:
            self._change_batch(e, a["batchId"], status=QUARANTINED)
        self.rows.add(
            "inspections", e, batch_id=a["batchId"], lab=a["lab"], passed=a["passed"], report_cid=a["reportCid"]
        )
        for position, residue in enumerate(a["residues"]):
            self.rows.add(
                "residues",
                e,
                position=position,
                batch_id=a["batchId"],
                substance=residue["substance"],
                measured=residue["measured"],
                limit_value=residue["limit"],
                unit=residue["unit"],
            )
        self._document(e, a["reportCid"], a["batchId"], "inspection")

    def _on_QuarantineReleased(self, e: ChainEvent, a: dict[str, Any]) -> None:
        batch = self.state.batch(a["batchId"])
        status = SOLD_OUT if batch is not None and batch["remaining"] == 0 else ACTIVE
        self._change_batch(e, a["batchId"], status=status)
        self.rows.add("quarantine_releases", e, batch_id=a["batchId"], regulator=a["regulator"], reason=a["reason"])

    def _on_SaleRecorded(self, e: ChainEvent, a: dict[str, Any]) -> None:
        batch = self.state.batch(a["batchId"])
        if batch is None:
            raise LookupError(f"SaleRecorded at {e.block_number}:{e.log_index} names unknown batch {a['batchId']}")
        remaining = batch["remaining"] - a["quantity"]
        self._change_batch(
            e,
            a["batchId"],
            remaining=remaining,
            sale_count=a["serial"],
            status=SOLD_OUT if remaining == 0 else batch["status"],
        )
        self.rows.add(
            "sales",
            e,
            sale_id=a["saleId"],
            batch_id=a["batchId"],
            serial=a["serial"],
            vendor=a["vendor"],
            quantity=a["quantity"],
            price=a["price"],
            currency=a["currency"],
        )

    def _on_PluMapped(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self.rows.add("plu_mappings", e, vendor=a["vendor"], plu=a["plu"], batch_id=a["batchId"])

    def _on_RecallIssued(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self._change_batch(e, a["batchId"], status=RECALLED)
        self.rows.add("recalls", e, batch_id=a["batchId"], regulator=a["regulator"], reason=a["reason"])

    # ------------------------------------------------------------ notices and floor plan

    def _on_NoticePublished(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self.rows.add(
            "notices",
            e,
            author=a["author"],
            cid=a["cid"],
            valid_from=a["validFrom"],
            valid_until=a["validUntil"],
            batch_id=None if int(a["batchId"], 16) == 0 else a["batchId"],
            stall=None if int(a["stall"], 16) == 0 else a["stall"],
        )

    def _on_LayoutPublished(self, e: ChainEvent, a: dict[str, Any]) -> None:
        self.rows.add("layouts", e, authority=a["authority"], cid=a["cid"])
