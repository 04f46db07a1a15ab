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
the contract has them. Single imports do not pack: ``registerImports`` records one whole
declaration (declaration files go through it, :mod:`ledger.intake.record`), while queued
imports are lines of declarations recorded one call each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from ledger.chain.abi import ContractAbi
from ledger.chain.freshledger import Sale, code, gtin_number, sale_groups
from ledger.hexes import from_hex

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

    def packs(self, abi: ContractAbi) -> bool:
        """Whether intents of this kind pack on a contract with `abi` (a contract deployed
        before the batch calls has only the single ones)."""
        return self.batch_function is not None and self.max_group > 1 and abi.has_function(self.batch_function)

    def call(self, payloads: Sequence[Payload]) -> tuple[str, list[Any]]:
        """The function and arguments of one transaction carrying `payloads`."""
        if len(payloads) == 1:
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


def _sale_ids(payload: Payload, events: list[Event]) -> dict[str, Any]:
    sale = next(e["args"] for e in events if e["name"] == "SaleRecorded")
    return {"batch_ids": [payload["batch_id"]], "sale_id": sale["saleId"], "serial": sale["serial"]}


# ------------------------------------------------------------------ arguments


def _sale_args(p: Payload) -> list[Any]:
    return [_bytes(p["batch_id"]), p["quantity"], p["price"], code(p["currency"], 3)]


def _sales_args(payloads: Sequence[Payload]) -> list[Any]:
    """``recordSales(BatchSales[])`` in the order of the intents (see :func:`sale_groups`)."""
    sales = [Sale(_bytes(p["batch_id"]), p["quantity"], p["price"], p["currency"]) for p in payloads]
    return [sale_groups(sales)]


def _harvest_args(p: Payload) -> list[Any]:
    return [
        gtin_number(p["gtin"]),
        p["lot"],
        p["quantity"],
        code(p["unit"], 3),
        p["harvested_at"],
        p["origin"],
        _bytes(p.get("document_cid")),
    ]


def _harvests_args(payloads: Sequence[Payload]) -> list[Any]:
    """``registerHarvests(HarvestLot[])``: the lots in the order of their intents, so the n-th
    ``HarvestRegistered`` (and the index of a ``HarvestLotInvalid``) is the n-th intent's."""
    return [[tuple(_harvest_args(p)) for p in payloads]]


def _import_args(p: Payload) -> list[Any]:
    return [
        gtin_number(p["gtin"]),
        p["lot"],
        p["quantity"],
        code(p["unit"], 3),
        to_checksum_address(p["importer"]),
        code(p["origin_country"], 2),
        code(p.get("hs_code") or "", 10),
        p["declaration_number"],
        p["cleared_at"],
        p["entry_port"],
        _bytes(p.get("document_cid")),
    ]


def _inspection_args(p: Payload) -> list[Any]:
    residues = [(r[0], r[1], r[2], r[3]) for r in p["residues"]]
    return [_bytes(p["batch_id"]), p["passed"], residues, _bytes(p.get("report_cid"))]


def _recall_args(p: Payload) -> list[Any]:
    return [[_bytes(b) for b in p["batch_ids"]], p["reason"]]


def _recalls_args(payloads: Sequence[Payload]) -> list[Any]:
    return [[_bytes(b) for p in payloads for b in p["batch_ids"]], payloads[0]["reason"]]


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # Sales pack into recordSales where the contract has it: one SaleRecorded per sale.
        Kind(
            "sale",
            "recordSale",
            _sale_args,
            _sale_ids,
            item_event="SaleRecorded",
            batch_function="recordSales",
            batch_args=_sales_args,
            max_group=200,
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
        Kind("handoff", "handOff", lambda p: [_bytes(p["batch_id"]), to_checksum_address(p["to"])], _batch_of),
        Kind("accept", "acceptHandOff", lambda p: [_bytes(p["batch_id"])], _batch_of),
        Kind("cancel", "cancelHandOff", lambda p: [_bytes(p["batch_id"])], _batch_of),
        Kind(
            "split",
            "split",
            lambda p: [_bytes(p["batch_id"]), [(lot, qty) for lot, qty in p["parts"]]],
            _created("BatchSplit", "childId"),
        ),
        Kind(
            "merge",
            "merge",
            lambda p: [[_bytes(b) for b in p["batch_ids"]], p["lot"]],
            _created("BatchesMerged", "childId"),
        ),
        Kind("inspection", "recordInspection", _inspection_args, _batch_of),
        Kind("plu", "mapPlu", lambda p: [p["plu"], _bytes(p["batch_id"])], _batch_of),
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
