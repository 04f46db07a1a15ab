"""chain_of_custody: a sale's history back to every origin, in chain order."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger import demo
from ledger.errors import NotFound
from ledger.queries import chain_of_custody, chain_of_custody_for_batch
from tests.queries.conftest import DemoMarket


def sale_of(market: DemoMarket, lot: str) -> str:
    with market.engine.connect() as conn:
        return (
            conn.execute(
                text(
                    "SELECT s.sale_id FROM sales s JOIN batches b ON b.batch_id = s.batch_id "
                    "WHERE b.lot = :lot ORDER BY s.serial"
                ),
                {"lot": lot},
            )
            .scalars()
            .first()
        )


def test_greens_sale_walks_back_to_the_farm(demo_market: DemoMarket) -> None:
    chain = chain_of_custody(demo_market.engine, sale_of(demo_market, "GV-2611-01-A"))
    assert [e.kind for e in chain.events] == [
        "harvested",
        "shipped",
        "received",
        "split",
        "inspected",
        "shipped",
        "received",
        "sold",
    ]
    harvest, shipped, received, split, inspected, _to_stall, at_stall, sold = chain.events
    assert harvest.actor.name == "Green Valley Farm, Lin'an"
    assert harvest.details["origin"] == "geo:30.2336,119.7248"
    assert harvest.details["quantity"] == 400
    assert (shipped.actor.name, shipped.counterparty.name) == (
        "Green Valley Farm, Lin'an",
        "West Lake Produce Wholesale",
    )
    assert received.details["quantity"] == 400
    assert (split.lot, split.details["parent_lot"], split.details["quantity"]) == ("GV-2611-01-A", "GV-2611-01", 50)
    assert split.actor.name == "West Lake Produce Wholesale"
    assert inspected.details["passed"] is True
    assert [(r.substance, r.measured, r.limit, r.exceeded) for r in inspected.details["residues"]] == [
        ("chlorpyrifos", 4, 50, False),
        ("lead (Pb)", 20, 300, False),
    ]
    assert at_stall.counterparty.name == "Stall A12 Fresh Greens (Wang Li)"
    assert (sold.details["quantity"], sold.details["price"], sold.details["currency"]) == (2, 1200, "CNY")
    assert [o.kind for o in chain.origins] == ["harvest"]
    assert chain.origins[0].party.identifier == "6901234000016"
    assert chain.alerts == []
    assert chain.sale.vendor.name == "Stall A12 Fresh Greens (Wang Li)"
    assert (chain.sale.gtin, chain.sale.lot, chain.sale.serial, chain.sale.unit) == (
        demo.GREENS_GTIN,
        "GV-2611-01-A",
        1,
        "KGM",
    )
    assert chain.batch.status == "active"
    times = [(e.block_number, e.log_index) for e in chain.events]
    assert times == sorted(times)
    assert chain.as_of_block is not None and chain.as_of_block >= sold.block_number


def test_imported_durian_shows_the_customs_declaration(demo_market: DemoMarket) -> None:
    chain = chain_of_custody(demo_market.engine, sale_of(demo_market, "TH-DUR-0931-A"))
    (origin,) = chain.origins
    assert origin.kind == "import"
    assert origin.party.name == "Tropical Fruit Imports Ltd"
    assert origin.place == "TH via CNNGB"
    assert origin.details["declaration_number"] == "310120261000123456"
    assert origin.details["document_cid"].startswith("bafk")
    imported = chain.events[0]
    assert (imported.kind, imported.actor.name) == ("imported", "Ningbo Customs District")


def test_recalled_strawberry_sale_carries_the_recall(demo_market: DemoMarket) -> None:
    chain = chain_of_custody(demo_market.engine, sale_of(demo_market, "SB-2611-07-A"))
    assert chain.batch.status == "recalled"
    recalls = [e for e in chain.alerts if e.kind == "recalled"]
    assert {e.lot for e in recalls} == {"SB-2611-07", "SB-2611-07-A"}  # the sibling B is not in this lineage
    assert "Carbofuran" in recalls[0].details["reason"]


def test_unknown_sale_is_not_found(demo_market: DemoMarket) -> None:
    with pytest.raises(NotFound):
        chain_of_custody(demo_market.engine, "0x" + "00" * 32)


def test_batch_history_without_a_sale(demo_market: DemoMarket) -> None:
    origins, events = chain_of_custody_for_batch(
        demo_market.engine, demo_market.batch(demo.STRAWBERRY_GTIN, "SB-2611-07-B")
    )
    assert [o.lot for o in origins] == ["SB-2611-07"]
    failed = [e for e in events if e.kind == "inspected"]
    assert failed[0].details["passed"] is False
    assert failed[0].details["residues"][0].exceeded
    assert "sold" not in {e.kind for e in events}
