"""The ledger's state as the chain itself says it (the CLI, which needs no database).

Participants by address and batches come from the contract's views (batches in batched
``eth_call`` requests: a thousand lots in two round trips), how far a declaration is recorded
from ``declarationLines``. Identifiers (GLNs) are kept only in events, so they are read from
the contract's ``ParticipantRegistered`` / ``ParticipantUpdated`` logs since its deployment
block, in windows a public node accepts; where a declaration was recorded and its lines,
only for a declaration the view knows, from its ``DeclarationRegistered`` and
``ImportLineRegistered`` logs (found by the declaration's id, an indexed topic).

Lines recorded one ``registerImport`` call each are not declarations to the view: a number
used that way is not found here (the index, :class:`IndexState`, finds it)."""

from __future__ import annotations

from collections.abc import Collection
from functools import cached_property

from eth_utils import is_address, keccak, to_checksum_address
from hexbytes import HexBytes

from ledger.chain.events import event_codec
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.hexes import to_hex
from ledger.indexer.fetch import JsonRpc
from ledger.intake.state import ParticipantFacts, RecordedDeclaration

#: Blocks per eth_getLogs: what public providers commonly allow.
LOG_WINDOW = 10_000
#: eth_call requests per JSON-RPC batch.
CALL_BATCH = 500


class ChainState:
    """:class:`ledger.intake.LedgerState` answered from the chain."""

    def __init__(self, ledger: FreshLedgerContract, deploy_block: int) -> None:
        self.ledger = ledger
        self.deploy_block = deploy_block
        self.rpc = JsonRpc(ledger.client.rpc_url)

    def participants(self, reference: str) -> list[ParticipantFacts]:
        addresses = [to_checksum_address(reference)] if is_address(reference) else self._identifiers.get(reference, [])
        found = []
        for address in addresses:
            (record,) = self.ledger.read("participant", address)
            if record["index"]:
                found.append(ParticipantFacts(address, int(record["roles"]), bool(record["suspended"])))
        return found

    def declaration(self, number: str) -> RecordedDeclaration | None:
        recorded, line_count = self.ledger.declaration_lines(number)
        if line_count == 0:
            return None
        topic = to_hex(keccak(text=number))
        headers = self._events("DeclarationRegistered", topic1=topic)
        block, _, tx_hash = headers[0]
        lines = sorted(
            (args["line"], (f"{int(args['gtin']):014d}", args["lot"]))
            for _, args, _ in self._events("ImportLineRegistered", topic2=topic)
        )
        return RecordedDeclaration(number, tx_hash, block, recorded, line_count, tuple(lot for _, lot in lines))

    def registered_lots(self, lots: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        pairs = sorted(lots)
        found: set[tuple[str, str]] = set()
        address = self.ledger.address
        for start in range(0, len(pairs), CALL_BATCH):
            chunk = pairs[start : start + CALL_BATCH]
            calls = [
                [
                    {"to": address, "data": to_hex(self.ledger.abi.encode_call("batch", [batch_id_of(g, lot)]))},
                    "latest",
                ]
                for g, lot in chunk
            ]
            for pair, raw in zip(chunk, self.rpc.batch("eth_call", calls), strict=True):
                (view,) = self.ledger.abi.decode_result("batch", bytes(HexBytes(raw)))
                if view["status"] != 0:
                    found.add(pair)
        return found

    def close(self) -> None:
        self.rpc.close()

    @cached_property
    def _identifiers(self) -> dict[str, list[str]]:
        """Each identifier to the addresses whose latest registration or update carries it."""
        latest: dict[str, str] = {}
        for _, args, _ in self._events("ParticipantRegistered", "ParticipantUpdated"):
            latest[to_checksum_address(args["account"])] = args["identifier"]
        by_identifier: dict[str, list[str]] = {}
        for address, identifier in latest.items():
            by_identifier.setdefault(identifier, []).append(address)
        return by_identifier

    def _events(self, *names: str, topic1: str | None = None, topic2: str | None = None) -> list[tuple[int, dict, str]]:
        """(block, args, transaction hash) of the contract's events called `names`, in order;
        `topic1` / `topic2` filter on the first / second indexed argument."""
        abi = self.ledger.abi
        topics: list[object] = [[to_hex(abi.event_topic(name)) for name in names], topic1, topic2]
        while topics[-1] is None:
            topics.pop()
        codec = event_codec(abi, "abi")
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        events = []
        for start in range(self.deploy_block, head + 1, LOG_WINDOW):
            query = {
                "address": self.ledger.address,
                "fromBlock": hex(start),
                "toBlock": hex(min(head, start + LOG_WINDOW - 1)),
                "topics": topics,
            }
            logs = self.rpc.call("eth_getLogs", [query])
            # Block times are not asked for: nothing here reads them.
            times = {int(log["blockNumber"], 16): 0 for log in logs}
            events += [(e.block_number, e.args, e.tx_hash) for e in codec.decode_logs(logs, times)]
        return events
