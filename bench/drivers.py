"""The two contracts under test behind the :class:`bench.scenario.LifeCycle` interface.

FreshLedger is deployed and driven by the project's own code (``ledger.chain.deploy`` and
``FreshLedgerContract``). The naive baseline (``bench/contracts/NaiveBatchRegistry.sol``) is
compiled with the same pipeline and settings, deployed with the same client, and called
with calldata encoded by the same :class:`ContractAbi`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from bench.scenario import BatchSummary
from ledger.chain.abi import ContractAbi
from ledger.chain.client import ChainClient, TxResult
from ledger.chain.compile import compile_sources
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.errors import DeploymentNotFound
from ledger.paths import REPO_ROOT
from ledger.vocabulary import STATUSES, Residue

NAIVE_SOURCE = Path(__file__).resolve().parent / "contracts" / "NaiveBatchRegistry.sol"
NAIVE_CONTRACT = "NaiveBatchRegistry"
ZERO_ADDRESS = "0x" + "00" * 20


class FreshLedgerDriver:
    """FreshLedger, deployed with ``ledger.chain.deploy.deploy`` by the market authority."""

    name = "freshledger"

    def __init__(self, client: ChainClient, authority: LocalAccount) -> None:
        self.deployment = deploy(client, authority)
        self.ledger = FreshLedgerContract(client, self.deployment.address)

    def register_participant(
        self, admin: LocalAccount, account: str, role: str, name: str, identifier: str
    ) -> TxResult:
        return self.ledger.register_participant(admin, account, role, name, identifier)

    def register_harvest(self, supplier: LocalAccount, **fields: Any) -> TxResult:
        return self.ledger.register_harvest(supplier, **fields)

    def register_import(self, customs: LocalAccount, **fields: Any) -> TxResult:
        return self.ledger.register_import(customs, **fields)

    def hand_off(self, sender: LocalAccount, batch_id: bytes, to: str) -> TxResult:
        return self.ledger.hand_off(sender, batch_id, to)

    def accept_hand_off(self, recipient: LocalAccount, batch_id: bytes) -> TxResult:
        return self.ledger.accept_hand_off(recipient, batch_id)

    def split(self, custodian: LocalAccount, parent_id: bytes, parts: Sequence[tuple[str, int]]) -> TxResult:
        return self.ledger.split(custodian, parent_id, parts)

    def merge(self, custodian: LocalAccount, parent_ids: Sequence[bytes], lot: str) -> TxResult:
        return self.ledger.merge(custodian, parent_ids, lot)

    def record_inspection(
        self, lab: LocalAccount, batch_id: bytes, *, passed: bool, residues: Sequence[Residue], report_cid: bytes
    ) -> TxResult:
        return self.ledger.record_inspection(lab, batch_id, passed=passed, residues=residues, report_cid=report_cid)

    def record_sale(
        self, vendor: LocalAccount, batch_id: bytes, *, reference: str, quantity: int, price: int, currency: str
    ) -> TxResult:
        # FreshLedger derives the sale id from a per-batch counter; the reference is not sent.
        del reference
        return self.ledger.record_sale(vendor, batch_id, quantity=quantity, price=price, currency=currency)

    def recall(self, regulator: LocalAccount, batch_ids: Sequence[bytes], reason: str) -> TxResult:
        return self.ledger.recall(regulator, batch_ids, reason)

    def summary(self, batch_id: bytes) -> BatchSummary:
        state = self.ledger.batch(batch_id)
        return BatchSummary(state.status, state.remaining, state.custodian)


def compile_naive() -> dict[str, Any]:
    """The naive baseline compiled by ``ledger.chain.compile`` (same solc and settings)."""
    unit = NAIVE_SOURCE.relative_to(REPO_ROOT).as_posix()
    return compile_sources({unit: NAIVE_SOURCE})[NAIVE_CONTRACT]


class NaiveDriver:
    """The naive baseline, deployed by the owner, who then registers the participants."""

    name = "naive"

    def __init__(self, client: ChainClient, owner: LocalAccount, compiled: dict[str, Any]) -> None:
        self.client = client
        self.abi = ContractAbi(compiled["abi"])
        creation = bytes.fromhex(compiled["bytecode"].removeprefix("0x")) + self.abi.encode_constructor([])
        result = client.transact(owner, to=None, data=creation, abi=self.abi)
        if result.contract_address is None:
            raise DeploymentNotFound(f"deployment transaction {result.tx_hash} created no contract")
        self.address = to_checksum_address(result.contract_address)

    def _transact(self, sender: LocalAccount, function: str, *args: Any) -> TxResult:
        data = self.abi.encode_call(function, args)
        return self.client.transact(sender, to=self.address, data=data, abi=self.abi)

    def register_participant(
        self, admin: LocalAccount, account: str, role: str, name: str, identifier: str
    ) -> TxResult:
        return self._transact(admin, "registerParticipant", to_checksum_address(account), name, role, identifier)

    def register_harvest(
        self,
        supplier: LocalAccount,
        *,
        gtin: str,
        lot: str,
        quantity: int,
        unit: str,
        harvested_at: int,
        origin: str,
        document_cid: bytes,
    ) -> TxResult:
        return self._transact(
            supplier, "registerHarvest", int(gtin), lot, quantity, unit, harvested_at, origin, document_cid
        )

    def register_import(
        self,
        customs: LocalAccount,
        *,
        gtin: str,
        lot: str,
        quantity: int,
        unit: str,
        importer: str,
        origin_country: str,
        hs_code: str,
        declaration_number: str,
        cleared_at: int,
        entry_port: str,
        document_cid: bytes,
    ) -> TxResult:
        # The baseline predates HS codes; it records the import without one.
        del hs_code
        return self._transact(
            customs,
            "registerImport",
            int(gtin),
            lot,
            quantity,
            unit,
            to_checksum_address(importer),
            origin_country,
            declaration_number,
            cleared_at,
            entry_port,
            document_cid,
        )

    def hand_off(self, sender: LocalAccount, batch_id: bytes, to: str) -> TxResult:
        return self._transact(sender, "handOff", batch_id, to_checksum_address(to))

    def accept_hand_off(self, recipient: LocalAccount, batch_id: bytes) -> TxResult:
        return self._transact(recipient, "acceptHandOff", batch_id)

    def split(self, custodian: LocalAccount, parent_id: bytes, parts: Sequence[tuple[str, int]]) -> TxResult:
        lots = [lot for lot, _ in parts]
        quantities = [quantity for _, quantity in parts]
        return self._transact(custodian, "split", parent_id, lots, quantities)

    def merge(self, custodian: LocalAccount, parent_ids: Sequence[bytes], lot: str) -> TxResult:
        return self._transact(custodian, "merge", list(parent_ids), lot)

    def record_inspection(
        self, lab: LocalAccount, batch_id: bytes, *, passed: bool, residues: Sequence[Residue], report_cid: bytes
    ) -> TxResult:
        rows = [(r.substance, r.measured, r.limit, r.unit) for r in residues]
        return self._transact(lab, "recordInspection", batch_id, passed, rows, report_cid)

    def record_sale(
        self, vendor: LocalAccount, batch_id: bytes, *, reference: str, quantity: int, price: int, currency: str
    ) -> TxResult:
        return self._transact(vendor, "recordSale", batch_id, reference, quantity, price, currency)

    def recall(self, regulator: LocalAccount, batch_ids: Sequence[bytes], reason: str) -> TxResult:
        return self._transact(regulator, "recall", list(batch_ids), reason)

    def summary(self, batch_id: bytes) -> BatchSummary:
        raw = self.client.call(self.address, self.abi.encode_call("batches", [batch_id]), abi=self.abi)
        names = [output["name"] for output in self.abi.function("batches")["outputs"]]
        fields = dict(zip(names, self.abi.decode_result("batches", raw), strict=True))
        return BatchSummary(STATUSES[fields["status"]], fields["quantity"], fields["custodian"])
