"""A small traceability scenario with fixed lot codes, documents kept in a real local store,
and a second day for time windows; for the FSMA 204 and audit tests.

Day 1: Green Valley Farm harvests GV-01 (400 kg, harvest photo stored), hands it to West Lake
Wholesale, which splits off GV-01-A and GV-01-B (50 kg each); the lab passes GV-01-A (report
stored); GV-01-A goes to Stall A12, which sells 2 kg. The farm also harvests SP-01 and SP-02
(5 kg each) and merges them into SP-M, and harvests lot DUP-1 under two GTINs.
Day 2 (the chain's clock moved a day on): customs clears TH-01 (300 kg durian from Thailand,
declaration stored) for West Lake Wholesale, which splits off TH-01-A (30 kg) for Stall B03;
Stall B03 sells 1 kg.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient, TxResult
from ledger.chain.deploy import Deployment, deploy, save
from ledger.chain.freshledger import FreshLedgerContract, Residue
from ledger.chain.node import LocalNode, NodeInfo, free_port, rpc
from ledger.documents import LocalDocumentStore, documents_dir
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.writer import IndexStore
from tests.factories.chain import source_of
from tests.factories.market import GTIN, OTHER_GTIN, Market, register_market

HARVESTED_AT = 1_795_500_000  # 2026-11-24 (UTC)
CLEARED_AT = 1_795_550_000
DAY = 86_400
HARVEST_PHOTO = b"GV-01 harvest photo, field 3, Lin'an"
LAB_REPORT = b"CMA-2026-0417 report 88: GV-01-A chlorpyrifos 4 ug/kg (limit 50)"
DECLARATION = b"Customs declaration 310120261000123456: 300 kg durian, origin TH, cleared at Ningbo"


@dataclass
class TraceScenario:
    """What was recorded: transactions by step name, and the day-2 start (block time)."""

    txs: dict[str, TxResult] = field(default_factory=dict)
    day2_from: int = 0
    documents: dict[str, str] = field(default_factory=dict)  # name: CID text


@dataclass
class TraceChain:
    node: NodeInfo
    deployment: Deployment
    market: Market
    store: LocalDocumentStore
    scenario: TraceScenario
    data_dir: Path

    def source(self) -> Source:
        return source_of(self.deployment)

    def index(self, engine: Engine) -> None:
        """Index the whole chain into `engine` (a migrated, empty database)."""
        indexer = Indexer(JsonRpc(self.node.rpc_url), IndexStore(engine), self.source())
        indexer.check_identity()
        indexer.sync()


def record(market: Market, store: LocalDocumentStore, rpc_url: str) -> TraceScenario:
    ledger, s = market.ledger, TraceScenario()
    photo = store.put(HARVEST_PHOTO, "text/plain")
    report = store.put(LAB_REPORT, "text/plain")
    declaration = store.put(DECLARATION, "text/plain")
    s.documents = {"photo": str(photo), "report": str(report), "declaration": str(declaration)}

    def harvest(lot: str, quantity: int, cid: bytes = b"", gtin: str = GTIN) -> TxResult:
        return ledger.register_harvest(
            market.supplier,
            gtin=gtin,
            lot=lot,
            quantity=quantity,
            unit="KGM",
            harvested_at=HARVESTED_AT,
            origin="geo:30.2336,119.7248",
            document_cid=cid,
        )

    s.txs["harvest"] = harvest("GV-01", 400, bytes(photo))
    gv = s.txs["harvest"].event("HarvestRegistered").args["batchId"]
    s.txs["ship"] = ledger.hand_off(market.supplier, gv, market.supplier2.address)
    s.txs["receive"] = ledger.accept_hand_off(market.supplier2, gv)
    s.txs["split"] = ledger.split(market.supplier2, gv, [("GV-01-A", 50), ("GV-01-B", 50)])
    gv_a = s.txs["split"].events_named("BatchSplit")[0].args["childId"]
    s.txs["inspect"] = ledger.record_inspection(
        market.lab, gv_a, passed=True, residues=[Residue("chlorpyrifos", 4, 50)], report_cid=bytes(report)
    )
    s.txs["ship_a"] = ledger.hand_off(market.supplier2, gv_a, market.vendor.address)
    s.txs["receive_a"] = ledger.accept_hand_off(market.vendor, gv_a)
    s.txs["sale"] = ledger.record_sale(market.vendor, gv_a, quantity=2, price=1200, currency="CNY")
    sp = [harvest(lot, 5).event("HarvestRegistered").args["batchId"] for lot in ("SP-01", "SP-02")]
    s.txs["merge"] = ledger.merge(market.supplier, sp, "SP-M")
    # One lot code under two GTINs (a batch is GTIN + lot, so both are allowed).
    s.txs["dup"] = harvest("DUP-1", 7)
    s.txs["dup_other"] = harvest("DUP-1", 8, gtin=OTHER_GTIN)

    # Day 2: a day later on the chain's clock, so a time window can tell the days apart.
    last_block = rpc(rpc_url, "eth_getBlockByNumber", ["latest", False])
    s.day2_from = int(last_block["timestamp"], 16) + DAY
    rpc(rpc_url, "evm_setNextBlockTimestamp", [s.day2_from])
    s.txs["import"] = ledger.register_import(
        market.customs,
        gtin=OTHER_GTIN,
        lot="TH-01",
        quantity=300,
        unit="KGM",
        importer=market.supplier2.address,
        origin_country="TH",
        hs_code="08106000",
        declaration_number="310120261000123456",
        cleared_at=CLEARED_AT,
        entry_port="CNNGB",
        document_cid=bytes(declaration),
    )
    th = s.txs["import"].event("ImportRegistered").args["batchId"]
    s.txs["split_th"] = ledger.split(market.supplier2, th, [("TH-01-A", 30)])
    th_a = s.txs["split_th"].event("BatchSplit").args["childId"]
    s.txs["ship_th"] = ledger.hand_off(market.supplier2, th_a, market.vendor2.address)
    s.txs["receive_th"] = ledger.accept_hand_off(market.vendor2, th_a)
    s.txs["sale_th"] = ledger.record_sale(market.vendor2, th_a, quantity=1, price=6800, currency="CNY")
    return s


def trace_chain(base: Path) -> Iterator[TraceChain]:
    """A fresh anvil with the scenario recorded (a generator: use it as a fixture body)."""
    node = LocalNode(base / "anvil", port=free_port(), persist=False)
    info = node.start()
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        market = register_market(FreshLedgerContract(client, deployment.address))
        data_dir = base / "data"
        save(deployment, data_dir)  # for `freshledger audit` run with FRESHLEDGER_DATA_DIR
        store = LocalDocumentStore(documents_dir(data_dir) / "local")  # where open_store(data_dir) looks
        scenario = record(market, store, info.rpc_url)
        yield TraceChain(info, deployment, market, store, scenario, data_dir)
    finally:
        node.stop()


def sell_through_api(m: Any, cast: dict[str, tuple[str, str]], lot: str, *, document_cid: str | None = None) -> dict:
    """Through the API (``tests.api.conftest.Market`` `m`): the farm harvests `lot`, hands it
    to the wholesaler, who splits off ``{lot}-A`` (20 kg) for the vendor, who sells 2 kg.
    Indexed afterwards. Returns the batch ids and the sale id."""

    def ok(answer: Any, code: int = 201) -> dict:
        assert answer.status_code == code, answer.text
        return answer.json()

    def deliver(batch: str, sender: str, recipient: str) -> None:
        handoff = {"to": cast[recipient][0]}
        ok(m.client.post(f"/batches/{batch}/handoff", json=handoff, headers=m.auth(cast[sender][1])), 200)
        ok(m.client.post(f"/batches/{batch}/accept", headers=m.auth(cast[recipient][1])), 200)

    harvested_at = datetime.fromtimestamp(time.time() - 5 * 3600, UTC).isoformat()
    body = {"gtin": GTIN, "lot": lot, "quantity": 200, "unit": "KGM", "harvested_at": harvested_at}
    body |= {"origin": "geo:30.2336,119.7248", "document_cid": document_cid}
    parent = ok(m.client.post("/harvests", json=body, headers=m.auth(cast["farm"][1])))["batch_ids"][0]
    deliver(parent, "farm", "wholesaler")
    parts = {"parts": [{"lot": f"{lot}-A", "quantity": 20}]}
    (child,) = ok(m.client.post(f"/batches/{parent}/split", json=parts, headers=m.auth(cast["wholesaler"][1])))[
        "batch_ids"
    ]
    deliver(child, "wholesaler", "vendor")
    m.sync()  # the sale's Digital Link needs the lot, which the indexer knows
    sale = {"batch_id": child, "quantity": 2, "price": 1200, "currency": "CNY"}
    sold = ok(m.client.post("/sales", json=sale, headers=m.auth(cast["vendor"][1])))
    m.sync()
    return {"parent": parent, "child": child, "sale_id": sold["sale_id"]}
