"""The demo market as ``freshledger demo`` prepares it (real anvil, real SQLite, the local
document store under a private data directory): what the scenario must show, the documents
it keeps, and that a second run, or an interrupted one, never records the market twice."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import text

from ledger import demo
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.demo import market
from ledger.demo.catalog import add_demo_products
from ledger.demo.run import DemoMarket, DemoProgress, prepare_demo
from ledger.documents.backends import open_store
from ledger.gs1 import is_valid_gtin
from ledger.hexes import to_hex
from ledger.intake import read_table
from ledger.notices import FloorPlan, NoticeText
from ledger.queries import chain_of_custody, stall_profile, trace_forward
from ledger.queries.declarations import get_declaration
from ledger.queries.notices import current_notices, latest_layout
from ledger.store.products import product_names
from ledger.store.ratings import stall_rating


def quiet_progress() -> DemoProgress:
    return DemoProgress(Console(file=io.StringIO(), width=160))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private data directory and node port for the module, as the command reads them."""
    folder = tmp_path_factory.mktemp("demo-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRESHLEDGER_DATA_DIR", str(folder))
        patch.setenv("FRESHLEDGER_NODE_PORT", str(free_port()))
        patch.delenv("FRESHLEDGER_RPC_URL", raising=False)
        patch.delenv("FRESHLEDGER_DATABASE_URL", raising=False)
        patch.delenv("FRESHLEDGER_IPFS_API", raising=False)
        try:
            yield folder
        finally:
            LocalNode(folder / "chain").stop()


@pytest.fixture(scope="module")
def prepared(data_dir: Path) -> DemoMarket:
    """The first run: chain, deployment, the market recorded and indexed."""
    return prepare_demo(quiet_progress())


def sale_ids(prepared: DemoMarket) -> list[str]:
    with prepared.engine.connect() as conn:
        return list(conn.execute(text("SELECT sale_id FROM sales ORDER BY block_number, log_index")).scalars())


def step(prepared: DemoMarket, action: str, detail_part: str) -> demo.Step:
    return next(s for s in prepared.steps if s.action == action and detail_part in s.detail)


def test_first_run_records_every_step_of_the_scenario(prepared: DemoMarket) -> None:
    assert prepared.deployed
    assert len(prepared.steps) == demo.scenario_size()
    assert [s.outcome for s in prepared.steps].count("recorded") == demo.scenario_size() - 1
    assert demo.market_state(prepared.ledger) == "complete"
    assert len(sale_ids(prepared)) == len(market.SALES)
    assert all(is_valid_gtin(gtin) for gtin in market.PRODUCTS)


def test_failed_strawberry_test_quarantines_and_blocks_the_hand_off(prepared: DemoMarket) -> None:
    failed = step(prepared, "inspect", market.QUARANTINED_LOT)
    assert "FAILED" in failed.detail and failed.block is not None
    refused = step(prepared, "hand off", f"{market.QUARANTINED_LOT} to Stall B03")
    assert refused.outcome == "refused by the contract: BatchQuarantined"
    assert refused.block is None  # nothing was mined
    with prepared.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT passed FROM inspections WHERE batch_id = :b"),
            {"b": "0x" + demo.lot_id(market.QUARANTINED_LOT).hex()},
        ).all()
    assert [bool(r.passed) for r in rows] == [False]
    never_left = prepared.ledger.batch(demo.lot_id(market.QUARANTINED_LOT))
    assert never_left.custodian == market.cast().wholesaler.address and never_left.remaining == 20


def test_recall_reaches_every_batch_and_sale_made_from_the_lot(prepared: DemoMarket) -> None:
    trace = trace_forward(prepared.engine, "0x" + demo.lot_id(market.RECALLED_LOT).hex())
    lots = {trace.batch.lot, *(b.lot for b in trace.descendants)}
    assert lots == {"SB-2611-07", "SB-2611-07-A", "SB-2611-07-B"}
    assert {trace.batch.status, *(b.status for b in trace.descendants)} == {"recalled"}
    expected_sales = [(lot, q) for lot, q, _ in market.SALES if lot.startswith(market.RECALLED_LOT)]
    assert [(s.lot, s.quantity) for s in trace.sales] == expected_sales
    for sale in trace.sales:
        chain = chain_of_custody(prepared.engine, sale.sale_id)
        recalls = [e for e in chain.alerts if e.kind == "recalled"]
        assert recalls and recalls[0].details["reason"] == market.RECALL_REASON
    recall = step(prepared, "recall", market.RECALLED_LOT)
    assert f"{len(expected_sales)} sales at Stall B03" in recall.detail
    other = trace_forward(prepared.engine, "0x" + demo.lot_id("SB-2611-08").hex())
    assert {b.status for b in other.descendants} == {"active"}  # the other strawberry lot is untouched


def test_every_sale_reaches_a_farm_or_a_customs_entry(prepared: DemoMarket) -> None:
    origins = {h.lot: "harvest" for h in market.HARVESTS} | {market.DURIAN_IMPORT.lot: "import"}
    stalls = {name for attribute, _, name, _ in market.PARTICIPANTS if attribute.startswith("stall_")}
    for sale_id in sale_ids(prepared):
        chain = chain_of_custody(prepared.engine, sale_id)
        assert chain.origins, sale_id
        assert all(origins.get(o.lot) == o.kind for o in chain.origins), chain.origins
        assert chain.sale.vendor.name in stalls
        assert chain.events[0].kind in ("harvested", "imported") and chain.events[-1].kind in ("sold", "recalled")


def test_thai_fruit_is_recorded_from_a_declaration_file_in_one_transaction(
    prepared: DemoMarket, data_dir: Path
) -> None:
    declared = market.THAI_FRUIT
    file = data_dir / "demo" / f"declaration-{declared.number}.csv"
    table = read_table(file.read_bytes(), "csv")
    assert [row.cells["lot"] for row in table.rows] == ["TH-DUR-0931", "TH-MGS-0931", "TH-LGN-0931"]
    assert {row.cells["importer"] for row in table.rows} == {"6901234000030"}  # the importer by its GLN
    assert (data_dir / "demo" / f"declaration-{declared.number}.pdf").read_bytes().startswith(b"%PDF")
    (imported,) = [s for s in prepared.steps if s.action == "register import"]
    assert declared.number in imported.detail and "3 lines" in imported.detail
    found = get_declaration(prepared.engine, declared.number)
    assert found is not None and found.complete and found.line_count == 3
    assert [(line.line, line.lot, line.hs_code) for line in found.lines] == [
        (0, "TH-DUR-0931", "08106000"),
        (1, "TH-MGS-0931", "08045030"),
        (2, "TH-LGN-0931", "08109030"),
    ]
    assert found.importer == market.cast().importer.address
    kept = prepared.ledger.batch(demo.lot_id("TH-MGS-0931"))  # mangosteen and longan stay with the importer
    assert (kept.custodian, kept.remaining) == (market.cast().importer.address, 120)


def test_three_stalls_sell_with_owners_licences_and_stock(prepared: DemoMarket) -> None:
    who = market.cast()
    for stall, owner in ((who.stall_a, "Wang Li"), (who.stall_b, "Chen Mei"), (who.stall_c, "Zhao Jun")):
        profile = stall_profile(prepared.engine, stall.address)
        assert owner in (profile.vendor.name or "")
        assert (profile.vendor.identifier or "").startswith("JY3301")  # Hangzhou food business licence
        assert profile.recent_sales and profile.stock
    prices = {(lot, q): p for lot, q, p in market.SALES}
    assert prices[("TH-DUR-0931-A", 2)] == 13600  # 68 CNY/kg
    assert prices[("SC-2611-02-A", 4)] == 1400  # sweet corn by the piece


def test_documents_are_kept_under_their_recorded_cids(prepared: DemoMarket, data_dir: Path) -> None:
    store = open_store(data_dir)
    with prepared.engine.connect() as conn:
        harvests = conn.execute(
            text("SELECT lot, document_cid FROM harvests h JOIN batches b ON b.batch_id = h.batch_id")
        ).all()
        imports = conn.execute(text("SELECT document_cid FROM imports")).scalars().all()
        reports = conn.execute(text("SELECT report_cid FROM inspections WHERE report_cid IS NOT NULL")).scalars().all()
    assert {lot for lot, _ in harvests} == {h.lot for h in market.HARVESTS}
    photos = [cid for _, cid in harvests]
    assert all(photos) and len(set(photos)) == len(photos)
    for cid in photos:
        assert store.verify(cid).media_type == "image/jpeg"
        assert store.get(cid)[:3] == b"\xff\xd8\xff"
    for cid in [*imports, *reports]:
        assert store.verify(cid).media_type == "application/pdf"
        assert store.get(cid).startswith(b"%PDF")
    assert len(reports) == sum(1 for t in market.INSPECTIONS if t.report_number)


def test_demo_shoppers_rate_the_stalls(prepared: DemoMarket) -> None:
    who = market.cast()
    a, b = stall_rating(prepared.engine, who.stall_a.address), stall_rating(prepared.engine, who.stall_b.address)
    assert a.count == 5 and a.mean == 4.6
    assert b.count == 2 and b.mean is None  # too few for a mean


def test_demo_names_its_products_in_the_catalog(prepared: DemoMarket) -> None:
    english = product_names(prepared.engine, "en")
    assert english == {gtin: product.name for gtin, product in market.PRODUCTS.items()}
    assert product_names(prepared.engine, "zh")[market.STRAWBERRY_GTIN] == "建德草莓"
    assert product_names(prepared.engine, "ko")[market.DURIAN_GTIN] == "몬통 두리안"
    assert add_demo_products(prepared.engine) == 0  # already named: nothing written twice


def test_second_run_resumes_the_market_without_recording(prepared: DemoMarket) -> None:
    head = prepared.ledger.client.block_number()
    again = prepare_demo(quiet_progress())
    assert not again.deployed and again.deployment.address == prepared.deployment.address
    assert again.steps == []
    assert again.ledger.client.block_number() == head
    assert len(sale_ids(again)) == len(market.SALES)
    assert stall_rating(again.engine, market.cast().stall_a.address).count == 5  # no rating twice


def test_half_recorded_market_is_refused_with_advice(prepared: DemoMarket) -> None:
    """A chain that has the first harvest but not the recall (a run killed hard) is named."""
    client = prepared.ledger.client
    who = market.cast()
    other = FreshLedgerContract(client, deploy(client, who.authority).address)
    other.register_participant(who.authority, who.greens_farm.address, "SUPPLIER", "Green Valley Farm", "6901234000016")
    first = market.HARVESTS[0]
    other.register_harvest(
        who.greens_farm,
        gtin=first.product.gtin,
        lot=first.lot,
        quantity=1,
        unit="KGM",
        harvested_at=1_700_000_000,
        origin=first.origin,
    )
    assert demo.market_state(other) == "partial"
    with pytest.raises(demo.PartialMarket, match="remove the data directory"):
        demo.already_recorded(other)


class _Interrupting(DemoProgress):
    """A progress display whose user presses Ctrl-C after `after` recorded steps."""

    def __init__(self, after: int) -> None:
        super().__init__(Console(file=io.StringIO()))
        self.after = after

    def advance(self, name: str, note: str | None = None) -> None:
        super().advance(name, note)
        if name == "record scenario":
            self.after -= 1
            if self.after == 0:
                raise KeyboardInterrupt


def test_interrupted_recording_leaves_no_half_market(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRESHLEDGER_NODE_PORT", str(free_port()))
    monkeypatch.delenv("FRESHLEDGER_RPC_URL", raising=False)
    monkeypatch.delenv("FRESHLEDGER_DATABASE_URL", raising=False)
    try:
        with pytest.raises(KeyboardInterrupt):
            prepare_demo(_Interrupting(after=30))
        info = LocalNode(tmp_path / "chain").start()  # still running: the same node
        client = ChainClient(info.rpc_url)
        from ledger.chain.deploy import load

        ledger = FreshLedgerContract(client, load(client, tmp_path).address)
        assert demo.market_state(ledger) == "none"  # reverted to just after the deployment
        resumed = prepare_demo(quiet_progress())  # the next run records the market whole
        assert len(resumed.steps) == demo.scenario_size()
        assert demo.market_state(resumed.ledger) == "complete"
    finally:
        LocalNode(tmp_path / "chain").stop()


def test_generated_documents_are_the_same_bytes_every_run() -> None:
    """A CID recorded by one run names the same file another run (or machine) generates."""
    from ledger.demo import papers

    photo = papers.harvest_photo("GV-2611-01", "Green Valley Farm", "Leafy greens", (70, 150, 60))
    assert photo == papers.harvest_photo("GV-2611-01", "Green Valley Farm", "Leafy greens", (70, 150, 60))
    assert photo != papers.harvest_photo("GV-2611-02", "Green Valley Farm", "Leafy greens", (70, 150, 60))
    report = papers.lab_report([("Report no.", "CMA-2026-0417-0105"), ("carbofuran", "37 ug/kg (limit 20 ug/kg)")])
    assert report == papers.lab_report(
        [("Report no.", "CMA-2026-0417-0105"), ("carbofuran", "37 ug/kg (limit 20 ug/kg)")]
    )
    assert report.media_type == "application/pdf" and report.data.startswith(b"%PDF")
    assert report != papers.lab_report([("Report no.", "CMA-2026-0417-0106")])


def test_demo_publishes_notices_and_a_floor_plan(prepared: DemoMarket, data_dir: Path) -> None:
    store = open_store(data_dir)
    notices = current_notices(prepared.engine, int(time.time()))
    texts = {NoticeText.parse(store.get(n.cid)).title["en"]: n for n in notices}
    assert set(texts) == {"Strawberry lot SB-2611-07 recalled", "Opening hours"}
    recall = texts["Strawberry lot SB-2611-07 recalled"]
    assert recall.author == market.cast().regulator.address
    assert recall.batch_id == to_hex(demo.lot_id(market.RECALLED_LOT))
    layout = latest_layout(prepared.engine)
    assert layout is not None
    who = market.cast()
    stalls = [who.stall_a.address, who.stall_b.address, who.stall_c.address]
    plan = FloorPlan.parse(store.get(layout.cid), registered=stalls)
    assert len(plan.stalls) == 3 and len(plan.empty) == 3 and plan.entrances
