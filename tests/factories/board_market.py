"""A small market for the board's tests, recorded on a real chain through the write path and
indexed: greens at both stalls (unit prices 600, 700, 500 at Stall A12; 800 at Stall B03),
imported durian at B03 (3000 and 3200), and a greens lot that fails its residue test at B03
and is recalled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import Deployment, deploy
from ledger.chain.freshledger import FreshLedgerContract, Residue
from ledger.chain.node import LocalNode, NodeInfo, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.writer import IndexStore
from tests.factories.chain import source_of
from tests.factories.market import OTHER_GTIN, Market, deliver, harvest, register_market
from tests.support.databases import Databases

RECALL_REASON = "Carbofuran 37 ug/kg over the 20 ug/kg limit"


def record_board_market(m: Market) -> dict[str, str]:
    """Record the scenario; the batch ids (0x hex) by name."""
    ledger = m.ledger
    greens_a = harvest(m, quantity=100, lot="MK-GREENS-1")
    deliver(m, greens_a, m.supplier, m.vendor)
    failing = harvest(m, quantity=50, lot="MK-GREENS-2", supplier=m.supplier2)
    deliver(m, failing, m.supplier2, m.vendor2)
    greens_b = harvest(m, quantity=20, lot="MK-GREENS-3")
    deliver(m, greens_b, m.supplier, m.vendor2)
    durian = (
        ledger.register_import(
            m.customs,
            gtin=OTHER_GTIN,
            lot="MK-DUR-1",
            quantity=30,
            unit="KGM",
            importer=m.supplier.address,
            origin_country="TH",
            declaration_number="310120261000999999",
            cleared_at=int(time.time()) - 7200,
            entry_port="CNNGB",
        )
        .event("ImportRegistered")
        .args["batchId"]
    )
    deliver(m, durian, m.supplier, m.vendor2)
    ledger.record_inspection(
        m.lab, greens_a, passed=True, residues=[Residue("chlorpyrifos", 4, 50), Residue("lead (Pb)", 20, 300)]
    )
    ledger.record_inspection(m.lab, failing, passed=False, residues=[Residue("carbofuran", 37, 20)])
    for quantity, price in ((2, 1200), (1, 700), (3, 1500)):
        ledger.record_sale(m.vendor, greens_a, quantity=quantity, price=price, currency="CNY")
    ledger.record_sale(m.vendor2, greens_b, quantity=1, price=800, currency="CNY")
    for quantity, price in ((1, 3000), (2, 6400)):
        ledger.record_sale(m.vendor2, durian, quantity=quantity, price=price, currency="CNY")
    ledger.recall(m.regulator, [failing], RECALL_REASON)
    ids = {"greens_a": greens_a, "failing": failing, "greens_b": greens_b, "durian": durian}
    return {name: "0x" + batch_id.hex() for name, batch_id in ids.items()}


@dataclass(frozen=True)
class RecordedBoard:
    """The chain with the scenario on it."""

    node: NodeInfo
    deployment: Deployment
    market: Market
    lots: dict[str, str]

    def source(self) -> Source:
        return source_of(self.deployment)

    def index_into(self, engine: Engine) -> None:
        indexer = Indexer(JsonRpc(self.node.rpc_url), IndexStore(engine), self.source())
        indexer.check_identity()
        indexer.sync()


@contextmanager
def recorded_board_market(workdir: Path) -> Iterator[RecordedBoard]:
    """A fresh anvil with FreshLedger, the test market's participants and the scenario."""
    node = LocalNode(workdir / "anvil", port=free_port(), persist=False)
    info = node.start()
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        m = register_market(FreshLedgerContract(client, deployment.address))
        yield RecordedBoard(info, deployment, m, record_board_market(m))
    finally:
        node.stop()


@contextmanager
def indexed_board_market(recorded: RecordedBoard, kind: str, workdir: Path) -> Iterator[Engine]:
    """`recorded` indexed into a fresh, migrated `kind` database."""
    databases = Databases(kind, workdir)
    try:
        engine = databases.engine()
        recorded.index_into(engine)
        yield engine
    finally:
        databases.close()


def sale_ids(engine: Engine, vendor: str) -> list[str]:
    """The sales of `vendor`, in chain order."""
    with engine.connect() as conn:
        query = text("SELECT sale_id FROM sales WHERE vendor = :v ORDER BY block_number, log_index")
        return list(conn.execute(query, {"v": vendor}).scalars())
