"""A market that takes every step FreshLedger maps to EPCIS (harvest, import, hand-off and
acceptance, cancelled hand-off, split, merge, passed and failed residue tests, quarantine
release, sale, recall), recorded once per module on a fresh anvil and indexed into SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract, Residue, batch_id_of
from ledger.chain.node import LocalNode, NodeInfo, free_port
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer, Source
from ledger.store.writer import IndexStore
from tests.factories.market import GTIN, OTHER_GTIN, Market, deliver, document_cid, register_market
from tests.support.databases import KINDS, Databases

HARVEST_LOT = "EP-H1"
SECOND_LOT = "EP-H2"
IMPORT_LOT = "EP-I1"
SPLIT_LOTS = ("EP-H1-A", "EP-H1-B")
MERGED_LOT = "EP-M1"
DECLARATION = "310120261000123456"
ORIGIN = "geo:30.2336,119.7248"


@dataclass(frozen=True)
class EpcisMarket:
    engine: Engine
    ledger: FreshLedgerContract
    market: Market
    node: NodeInfo
    harvested_at: int

    def batch(self, lot: str, gtin: str = GTIN) -> str:
        return "0x" + batch_id_of(gtin, lot).hex()


def record_steps(market: Market, harvested_at: int) -> None:
    """Every kind of step, on GTIN (harvests, repacks) and OTHER_GTIN (the import)."""
    ledger = market.ledger
    first = (
        ledger.register_harvest(
            market.supplier,
            gtin=GTIN,
            lot=HARVEST_LOT,
            quantity=100,
            unit="KGM",
            harvested_at=harvested_at,
            origin=ORIGIN,
            document_cid=document_cid(b"harvest photo EP-H1"),
        )
        .event("HarvestRegistered")
        .args["batchId"]
    )
    imported = (
        ledger.register_import(
            market.customs,
            gtin=OTHER_GTIN,
            lot=IMPORT_LOT,
            quantity=50,
            unit="KGM",
            importer=market.supplier2.address,
            origin_country="TH",
            hs_code="08106000",
            declaration_number=DECLARATION,
            cleared_at=harvested_at,
            entry_port="CNNGB",
            document_cid=document_cid(b"customs declaration"),
        )
        .event("ImportRegistered")
        .args["batchId"]
    )
    deliver(market, first, market.supplier, market.supplier2)
    parts = ledger.split(market.supplier2, first, [(SPLIT_LOTS[0], 30), (SPLIT_LOTS[1], 30)])
    part_a, part_b = (e.args["childId"] for e in parts.events_named("BatchSplit"))
    second = (
        ledger.register_harvest(
            market.supplier,
            gtin=GTIN,
            lot=SECOND_LOT,
            quantity=20,
            unit="KGM",
            harvested_at=harvested_at,
            origin=ORIGIN,
        )
        .event("HarvestRegistered")
        .args["batchId"]
    )
    deliver(market, second, market.supplier, market.supplier2)
    merged = ledger.merge(market.supplier2, [part_b, second], MERGED_LOT).event("BatchesMerged").args["childId"]
    ledger.record_inspection(market.lab, part_a, passed=True, residues=[Residue("chlorpyrifos", 4, 50)])
    ledger.record_inspection(market.lab, merged, passed=False, residues=[Residue("carbofuran", 37, 20)])
    ledger.release_quarantine(market.regulator, merged, "retained sample re-tested within limits")
    deliver(market, part_a, market.supplier2, market.vendor)
    ledger.record_sale(market.vendor, part_a, quantity=2, price=1200, currency="CNY")
    ledger.hand_off(market.supplier2, imported, market.vendor2.address)
    ledger.cancel_hand_off(market.supplier2, imported)
    ledger.recall(market.regulator, [merged], "carbofuran over the limit in a retained sample")


@pytest.fixture(scope="module", params=KINDS)
def epcis_market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EpcisMarket]:
    node = LocalNode(tmp_path_factory.mktemp("anvil"), port=free_port(), persist=False)
    info = node.start()
    databases = Databases(request.param, tmp_path_factory.mktemp("db"))
    try:
        client = ChainClient(info.rpc_url)
        deployment = deploy(client, dev_account(0))
        ledger = FreshLedgerContract(client, deployment.address)
        market = register_market(ledger)
        harvested_at = int(time.time()) - 7200
        record_steps(market, harvested_at)
        engine = databases.engine()
        source = Source(deployment.chain_id, deployment.genesis_hash, deployment.address, deployment.deploy_block)
        indexer = Indexer(JsonRpc(info.rpc_url), IndexStore(engine), source)
        indexer.check_identity()
        indexer.sync()
        yield EpcisMarket(engine, ledger, market, info, harvested_at)
    finally:
        databases.close()
        node.stop()
