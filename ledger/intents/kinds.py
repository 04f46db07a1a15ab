"""Kinds of intents and how they are packed into calls.

A kind turns an intent's payload (plain JSON, chain-ready: hex for bytes, Unix seconds for
dates) into the arguments of its contract function, and a mined transaction's events back
into each intent's result (its events and the ids a client needs: batch ids, the sale id).

Packing (group commit): a kind with a ``batch_function`` takes several intents of one
sender into one call, ``batch_args(payloads)``, when their ``group_key`` is equal; the
transaction's ``item_event`` events are then shared out in order, ``items(payload)`` to each
intent (or, with ``owns``, by what each event names). A kind without one (or on a contract
without it) is sent one intent a transaction. ``recall`` packs (the contract's ``recall``
takes many batches), sales into ``recordSales`` and harvests into ``registerHarvests`` where
the contract has them. Single imports do not pack: queued imports are lines of declarations
recorded one call each. A declaration file is queued as ``declaration_part`` intents (see
:mod:`ledger.intake.queued`), each one ``registerImports`` call of up to 200 lines under the
declaration's number that continues where the one before stopped (``firstLine``): they never
pack, and the submitter sends a sender's intents in order, so the parts go out in line order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from ledger.chain.abi import ContractAbi
from ledger.chain.freshledger import (
    Declaration,
    HarvestLot,
    ImportLine,
    Sale,
    hand_off_args,
    harvest_args,
    harvests_args,
    import_args,
    imports_args,
    inspection_args,
    merge_args,
    notice_args,
    participant_args,
    recall_args,
    reinstate_args,
    sale_args,
    sale_groups,
    split_args,
    suspend_args,
)
from ledger.hexes import from_hex
from ledger.vocabulary import Residue

Payload = dict[str, Any]
Event = dict[str, Any]  # {"name", "log_index", "args"} with bytes as 0x-hex


def _bytes(text: str | None) -> bytes:
    return from_hex(text) if text else b""


def _one(_payload: Payload) -> int:
    return 1


def _no_group(_payload: Payload) -> object:
    return None


@dataclass(frozen=True)
class Kind:
    """One kind of write: its contract function and how its intents pack and unpack."""

    name: str
    function: str
    args: Callable[[Payload], list[Any]]
    ids: Callable[[Payload, list[Event]], dict[str, Any]]
    item_event: str | None = None
    items: Callable[[Payload], int] = _one
    batch_function: str | None = None
    batch_args: Callable[[Sequence[Payload]], list[Any]] | None = None
    group_key: Callable[[Payload], object] = _no_group
    #: Whether an item event belongs to a payload, for calls that may emit fewer item events
    #: than items (a recall skips a batch already recalled); else events are shared by count.
    owns: Callable[[Payload, Event], bool] | None = None
    #: Most intents one transaction carries (the submitter also halves a group whose gas
    #: estimate is over its gas bound).
    max_group: int = 1
    #: A payment of gas money instead of a contract call: the recipient and the amount (wei)
    #: of the one intent; the transaction carries no data.
    payment: Callable[[Payload], tuple[str, int]] | None = None
    #: The call data as a participant signed it (a relayed transaction), instead of ``args``.
    data: Callable[[Payload], bytes] | None = None
    #: Whether a payload asks what only the batch function can do (a sale's serial reserved
    #: by the queue: ``recordSale`` takes the batch's next one), so it goes through the batch
    #: function even alone.
    pinned: Callable[[Payload], bool] | None = None

    def packs(self, abi: ContractAbi) -> bool:
        """Whether intents of this kind pack on a contract with `abi` (a contract deployed
        before the batch calls has only the single ones)."""
        return self.batch_function is not None and self.max_group > 1 and abi.has_function(self.batch_function)

    def call(self, payloads: Sequence[Payload]) -> tuple[str, list[Any]]:
        """The function and arguments of one transaction carrying `payloads`."""
        if len(payloads) == 1 and not (self.pinned is not None and self.pinned(payloads[0])):
            return self.function, self.args(payloads[0])
        if self.batch_function is None or self.batch_args is None:
            raise ValueError(f"intents of kind {self.name} are sent one a transaction")
        return self.batch_function, self.batch_args(payloads)

    def share(self, payloads: Sequence[Payload], events: list[Event]) -> list[list[Event]]:
        """Each intent's events among the transaction's: all of them for a lone intent, the
        item events in order for a packed transaction."""
        if len(payloads) == 1:
            return [events]
        own = [e for e in events if e["name"] == self.item_event]
        if self.owns is not None:
            owners: list[list[Event]] = [[] for _ in payloads]
            for event in own:
                first = next((n for n, p in enumerate(payloads) if self.owns(p, event)), None)
                if first is not None:
                    owners[first].append(event)
            return owners
        shares, start = [], 0
        for payload in payloads:
            count = self.items(payload)
            shares.append(own[start : start + count])
            start += count
        return shares


# ------------------------------------------------------------------ ids a client needs


def _batch_of(payload: Payload, _events: list[Event]) -> dict[str, Any]:
    return {"batch_ids": [payload["batch_id"]]}


def _created(event: str, arg: str) -> Callable[[Payload, list[Event]], dict[str, Any]]:
    def ids(_payload: Payload, events: list[Event]) -> dict[str, Any]:
        return {"batch_ids": [e["args"][arg] for e in events if e["name"] == event]}

    return ids


def _mapped_lot(payload: Payload, _events: list[Event]) -> dict[str, Any]:
    return {"batch_ids": [payload["batch_id"]] if int(payload["batch_id"], 16) else []}


def _sale_ids(payload: Payload, events: list[Event]) -> dict[str, Any]:
    sale = next(e["args"] for e in events if e["name"] == "SaleRecorded")
    return {"batch_ids": [payload["batch_id"]], "sale_id": sale["saleId"], "serial": sale["serial"]}


# ------------------------------------------------------------------ arguments
# Payloads become the typed values of ledger.chain.freshledger, whose builders are the one
# place a call's arguments are made.


def _sale(p: Payload) -> Sale:
    return Sale(_bytes(p["batch_id"]), p["quantity"], p["price"], p["currency"], p.get("serial"))


def _sale_args(p: Payload) -> list[Any]:
    return sale_args(_sale(p))


def _sales_args(payloads: Sequence[Payload]) -> list[Any]:
    """``recordSales(BatchSales[])`` in the order of the intents (see :func:`sale_groups`):
    the queue reserved each sale's serial in the order of the intents per batch, so a
    batch's sales go out with rising serials and each group pins its first."""
    # Each batch id read once: a transaction's hundreds of sales share a few batches.
    batches: dict[str, bytes] = {}
    sales = []
    for p in payloads:
        batch = batches.get(p["batch_id"])
        if batch is None:
            batch = batches[p["batch_id"]] = _bytes(p["batch_id"])
        sales.append(Sale(batch, p["quantity"], p["price"], p["currency"], p.get("serial")))
    return [sale_groups(sales)]


def _harvest(p: Payload) -> HarvestLot:
    return HarvestLot(
        p["gtin"], p["lot"], p["quantity"], p["unit"], p["harvested_at"], p["origin"], _bytes(p.get("document_cid"))
    )


def _harvest_args(p: Payload) -> list[Any]:
    return harvest_args(_harvest(p))


def _harvests_args(payloads: Sequence[Payload]) -> list[Any]:
    """``registerHarvests(HarvestLot[])``: the lots in the order of their intents, so the n-th
    ``HarvestRegistered`` (and the index of a ``HarvestLotInvalid``) is the n-th intent's."""
    return harvests_args([_harvest(p) for p in payloads])


def _import_args(p: Payload) -> list[Any]:
    line = ImportLine(p["gtin"], p["lot"], p["quantity"], p["unit"], p["origin_country"], p.get("hs_code") or "")
    declaration = Declaration(
        p["declaration_number"], p["entry_port"], p["cleared_at"], p["importer"], _bytes(p.get("document_cid"))
    )
    return import_args(line, declaration)


def _declaration_part_args(p: Payload) -> list[Any]:
    """``registerImports(header, firstLine, lines)``: the header carries the whole declaration's
    line count, so every part names the same declaration."""
    header = Declaration(
        p["declaration_number"],
        p["entry_port"],
        p["cleared_at"],
        p["importer"],
        _bytes(p.get("document_cid")),
        p["line_count"],
    )
    lines = [
        ImportLine(line["gtin"], line["lot"], line["quantity"], line["unit"], line["origin_country"], line["hs_code"])
        for line in p["lines"]
    ]
    return imports_args(header, lines, p["first_line"])


def _inspection_args(p: Payload) -> list[Any]:
    residues = [Residue(r[0], r[1], r[2], r[3]) for r in p["residues"]]
    return inspection_args(_bytes(p["batch_id"]), p["passed"], residues, _bytes(p.get("report_cid")))


def _recall_args(p: Payload) -> list[Any]:
    return recall_args([_bytes(b) for b in p["batch_ids"]], p["reason"])


def _recalls_args(payloads: Sequence[Payload]) -> list[Any]:
    return recall_args([_bytes(b) for p in payloads for b in p["batch_ids"]], payloads[0]["reason"])


def _no_ids(_payload: Payload, _events: list[Event]) -> dict[str, Any]:
    return {"batch_ids": []}


def _relayed_ids(_payload: Payload, events: list[Event]) -> dict[str, Any]:
    """What today's relay answered: the events; batch ids of batches it created."""
    created = {"HarvestRegistered", "ImportRegistered", "BatchSplit", "BatchesMerged"}
    made = [e["args"].get("batchId") or e["args"].get("childId") for e in events if e["name"] in created]
    return {"batch_ids": [b for b in made if b]}


def _unsupported(_p: Payload) -> list[Any]:
    raise ValueError("a relayed transaction is sent as it was signed")


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # Sales pack into recordSales where the contract has it: one SaleRecorded per sale,
        # under the serial the queue reserved (a lone sale too: recordSale cannot pin it).
        # 400 a transaction: a busy stall queues more than 200 within a group window, and each
        # transaction costs the API a signature, a call, two commits and a receipt, and the
        # node a signature check. At most about 5.4M gas and 100 KB of call data (every sale
        # its own batch, the largest values): under the submitter's gas bound and the 128 KB
        # a node's pool takes.
        Kind(
            "sale",
            "recordSale",
            _sale_args,
            _sale_ids,
            item_event="SaleRecorded",
            batch_function="recordSales",
            batch_args=_sales_args,
            max_group=400,
            pinned=lambda p: p.get("serial") is not None,
        ),
        # Harvests of one supplier pack into registerHarvests: one HarvestRegistered per lot.
        # About 35k gas a lot: 200 take about 7M, under the submitter's gas bound.
        Kind(
            "harvest",
            "registerHarvest",
            _harvest_args,
            _created("HarvestRegistered", "batchId"),
            item_event="HarvestRegistered",
            batch_function="registerHarvests",
            batch_args=_harvests_args,
            max_group=200,
        ),
        Kind("import", "registerImport", _import_args, _created("ImportRegistered", "batchId")),
        # A part of a declaration file: one registerImports call, one ImportLineRegistered a line.
        Kind(
            "declaration_part",
            "registerImports",
            _declaration_part_args,
            _created("ImportLineRegistered", "batchId"),
        ),
        Kind("handoff", "handOff", lambda p: hand_off_args(_bytes(p["batch_id"]), p["to"]), _batch_of),
        Kind("accept", "acceptHandOff", lambda p: [_bytes(p["batch_id"])], _batch_of),
        Kind("cancel", "cancelHandOff", lambda p: [_bytes(p["batch_id"])], _batch_of),
        Kind(
            "split",
            "split",
            lambda p: split_args(_bytes(p["batch_id"]), p["parts"]),
            _created("BatchSplit", "childId"),
        ),
        Kind(
            "merge",
            "merge",
            lambda p: merge_args([_bytes(b) for b in p["batch_ids"]], p["lot"]),
            _created("BatchesMerged", "childId"),
        ),
        Kind("inspection", "recordInspection", _inspection_args, _batch_of),
        # A scale key mapped to a lot, or cleared (the zero batch id, which names no lot).
        Kind("plu", "mapPlu", lambda p: [p["plu"], _bytes(p["batch_id"])], _mapped_lot),
        Kind(
            "release",
            "releaseQuarantine",
            lambda p: [_bytes(p["batch_id"]), p["reason"]],
            lambda p, e: {"batch_ids": []},
        ),
        # Recalls of one regulator with the same reason go out as one call of many batches.
        Kind(
            "recall",
            "recall",
            _recall_args,
            lambda p, e: {"batch_ids": list(p["batch_ids"])},
            item_event="RecallIssued",
            items=lambda p: len(p["batch_ids"]),
            batch_function="recall",
            batch_args=_recalls_args,
            group_key=lambda p: p["reason"],
            owns=lambda p, e: e["args"]["batchId"] in p["batch_ids"],
            max_group=50,
        ),
        # A notice of a regulator (or the authority): its text is stored as a document first,
        # so the intent carries only the CID, the window, and the lot and stall it concerns.
        Kind(
            "notice",
            "publishNotice",
            lambda p: notice_args(
                _bytes(p["cid"]), p["valid_from"], p["valid_until"], _bytes(p.get("batch_id")), p.get("stall")
            ),
            lambda p, e: {"batch_ids": [p["batch_id"]] if p.get("batch_id") else []},
        ),
        # The market authority's writes.
        Kind(
            "participant",
            "registerParticipant",
            lambda p: participant_args(p["address"], p["role"], p["name"], p["identifier"]),
            _no_ids,
        ),
        Kind(
            "suspend",
            "suspendParticipant",
            lambda p: suspend_args(p["address"], p["reason"]),
            _no_ids,
        ),
        Kind("reinstate", "reinstateParticipant", lambda p: reinstate_args(p["address"]), _no_ids),
        # Gas money for a participant whose key the market made (sent by the authority, so in
        # its queue: its nonces are the submitter's alone).
        Kind("payment", "", lambda p: [], _no_ids, payment=lambda p: (to_checksum_address(p["to"]), int(p["wei"]))),
        # A transaction a participant signed itself: sent as it is by ledger.intents.relay.
        Kind("relay", "", _unsupported, _relayed_ids, data=lambda p: bytes.fromhex(p["data"].removeprefix("0x"))),
    )
}


def kind_of(name: str) -> Kind:
    return KINDS[name]


def leading_group(kind: Kind, abi: ContractAbi, payloads: Sequence[Payload], attempts: Sequence[int]) -> int:
    """How many of the queued intents (oldest first, all of `kind`'s run) the next transaction
    takes: the run of equal group keys from the first, up to ``max_group``; one alone after
    its group reverted on-chain (so a lone revert names it)."""
    if not kind.packs(abi) or attempts[0] > 0:
        return 1
    key = kind.group_key(payloads[0])
    count = 1
    while count < min(len(payloads), kind.max_group):
        if attempts[count] > 0 or kind.group_key(payloads[count]) != key:
            break
        count += 1
    return count
