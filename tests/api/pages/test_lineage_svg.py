"""lineage_svg: well-formed, accessible SVG with one box per batch and one arrow per lineage
step, on the real demo chains and on hand-built shapes (diamonds, wide merges, hostile text)."""

from __future__ import annotations

import copy
import itertools
import xml.etree.ElementTree as ET

from api.pages.lineage_svg import WIDTH, lineage_svg
from ledger import demo
from ledger.queries.views import CustodyChain
from ledger.vocabulary import Residue
from tests.factories.custody import ChainBuilder, party
from tests.factories.shopper_market import MERGED_LOT, SECOND_GREENS_LOT, ShopperMarket

NS = {"svg": "http://www.w3.org/2000/svg"}
FARM, WHOLESALER, STALL = party("Green Valley Farm"), party("West Lake Wholesale"), party("Stall A12")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-batch-id"): g for g in root.iterfind("svg:g", NS) if "node" in g.get("class", "").split()}


def edges(root: ET.Element) -> list[tuple[str, str]]:
    return [
        (g.get("data-parent"), g.get("data-child"))
        for g in root.iterfind("svg:g", NS)
        if "edge" in g.get("class", "").split()
    ]


def box(node: ET.Element) -> tuple[float, float, float]:
    rect = node.find("svg:rect", NS)
    return float(rect.get("x")), float(rect.get("y")), float(rect.get("width"))


def lineage_of(chain: CustodyChain) -> tuple[set[str], list[tuple[str, str]]]:
    """The batches and the (parent, child) steps of a chain, straight from its events."""
    steps = [(e.details["parent_id"], e.batch_id) for e in chain.events if e.kind in ("split", "merged")]
    batches = {e.batch_id for e in chain.events} | {parent for parent, _ in steps}
    return batches, steps


def test_real_chains_have_a_node_per_batch_and_an_edge_per_step(indexed_market: ShopperMarket) -> None:
    cases = [
        (demo.GREENS_GTIN, "GV-2611-01-A", 2),
        (demo.DURIAN_GTIN, "TH-DUR-0931-A", 2),
        (demo.STRAWBERRY_GTIN, "SB-2611-07-A", 2),
        (demo.GREENS_GTIN, MERGED_LOT, 4),
    ]
    for gtin, lot, count in cases:
        chain = indexed_market.chain(gtin, lot)
        root = parse(lineage_svg(chain))
        batches, steps = lineage_of(chain)
        assert set(nodes(root)) == batches and len(batches) == count, lot
        assert sorted(edges(root)) == sorted(steps), lot
        sold = nodes(root)[chain.sale.batch_id]
        assert "sold-batch" in sold.get("class")
        assert box(sold)[1] == max(box(n)[1] for n in nodes(root).values())  # the sold batch is the bottom row


def test_merged_lot_draws_both_origins_above_the_merge(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.GREENS_GTIN, MERGED_LOT)
    root = parse(lineage_svg(chain))
    by_lot = {g.get("data-lot"): g for g in nodes(root).values()}
    assert set(by_lot) == {"GV-2611-01", "GV-2611-01-B", SECOND_GREENS_LOT, MERGED_LOT}
    y = {lot: box(g)[1] for lot, g in by_lot.items()}
    assert y["GV-2611-01"] < y["GV-2611-01-B"] == y[SECOND_GREENS_LOT] < y[MERGED_LOT]
    labels = [" ".join(t.text or "" for t in g.iterfind("svg:text", NS)) for g in by_lot.values()]
    assert any("Green Valley Farm, Lin'an" in label and "Harvest" in label for label in labels)
    assert "Stall A12 Fresh Greens" in " ".join(t.text for t in by_lot[MERGED_LOT].iterfind("svg:text", NS))
    assert {g.get("class") for g in root.iterfind("svg:g", NS) if g.get("data-child")} == {"edge split", "edge merge"}
    assert "alert" in by_lot[MERGED_LOT].get("class").split()  # quarantined after the sale


def test_svg_is_accessible(indexed_market: ShopperMarket) -> None:
    chain = indexed_market.chain(demo.DURIAN_GTIN, "TH-DUR-0931-A")
    root = parse(lineage_svg(chain, lang="zh"))
    assert root.get("role") == "img"
    labelled_by = root.get("aria-labelledby").split()
    found = {element.get("id"): element for element in root.iter() if element.get("id")}
    assert [found[i].tag.split("}")[1] for i in labelled_by] == ["title", "desc"]
    assert found[labelled_by[0]].text == "批次 TH-DUR-0931-A 的来源图"
    description = found[labelled_by[1]].text
    assert "TH-DUR-0931（进口 · 300 千克）：Tropical Fruit Imports Ltd" in description  # noqa: RUF001
    assert "TH-DUR-0931 到 TH-DUR-0931-A：分装 30 千克" in description  # noqa: RUF001
    for node in nodes(root).values():
        assert node.find("svg:title", NS).text.startswith(node.get("data-lot"))


def test_diamonds_and_wide_merges_keep_every_arrow_pointing_down() -> None:
    build = ChainBuilder()
    farms = [party(f"Farm {i}") for i in range(6)]
    roots = [build.harvest(f"H-{i}", farm, 100) for i, farm in enumerate(farms)]
    left, right = build.split(roots[0], "H-0-L", 40, WHOLESALER), build.split(roots[0], "H-0-R", 40, WHOLESALER)
    diamond = build.merge([(left, 40), (right, 40)], "H-0-D", WHOLESALER)
    wide = build.merge([(diamond, 80), *((r, 100) for r in roots[1:])], "WIDE-1", WHOLESALER)
    chain = build.sell(wide, STALL, 2, 1200)
    root = parse(lineage_svg(chain))
    placed = nodes(root)
    assert len(placed) == 10 and len(edges(root)) == 2 + 2 + 6
    width = float(root.get("viewBox").split()[2])
    assert width > WIDTH  # six boxes in a row do not fit 340 units: the picture gets wider
    for parent, child in edges(root):
        assert box(placed[child])[1] > box(placed[parent])[1]
    rows: dict[float, list[tuple[float, float, float]]] = {}
    for node in placed.values():
        rows.setdefault(box(node)[1], []).append(box(node))
    for row in rows.values():
        row.sort()
        assert row[0][0] >= 0 and row[-1][0] + row[-1][2] <= width
        assert all(a[0] + a[2] < b[0] for a, b in itertools.pairwise(row))  # no overlap


def test_hostile_text_is_escaped_and_the_output_deterministic() -> None:
    build = ChainBuilder()
    farm = party('Farm <script>alert("x")</script> & "Sons"\x01', "6901234000016")
    origin = build.harvest("<LOT>&'\"", farm, 100)
    child = build.split(origin, "L-1]]>", 10, WHOLESALER)
    build.inspect(child, party("Lab"), [Residue("lead", 1, 300, "ug/kg")])
    chain = build.sell(child, STALL, 1, 100)
    svg = lineage_svg(chain)
    root = parse(svg)
    assert "<script>" not in svg and "\x01" not in svg
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<LOT>&'\"" in texts and "L-1]]>" in texts
    assert any(t and t.startswith("Farm <script>") for t in texts)
    assert lineage_svg(copy.deepcopy(chain)) == svg


def test_a_sale_straight_from_the_harvest_is_one_box_and_no_arrow() -> None:
    build = ChainBuilder(unit="H87")
    origin = build.harvest("WM-1", FARM, 40)
    chain = build.sell(origin, STALL, 1, 2500)
    root = parse(lineage_svg(chain, lang="ko"))
    (only,) = nodes(root).values()
    assert edges(root) == []
    assert [t.text for t in only.iterfind("svg:text", NS)] == ["WM-1", "Stall A12", "이번 판매 · 40 개"]
    assert root.get("viewBox") == f"0 0 {WIDTH} 76"


def test_a_failed_lot_is_red_until_the_regulator_releases_it() -> None:
    build = ChainBuilder()
    origin = build.harvest("H-1", FARM, 100)
    child = build.split(origin, "H-1-A", 10, WHOLESALER)
    build.inspect(origin, party("Lab"), [Residue("carbofuran", 37, 20, "ug/kg")])  # the rest of H-1 is held
    held = nodes(parse(lineage_svg(build.sell(child, STALL, 1, 100))))
    assert "alert" in held[origin].get("class").split() and "alert" not in held[child].get("class").split()
    build.release(origin, party("Regulator"), "Re-tested: 12 ug/kg")
    released = nodes(parse(lineage_svg(build.sell(child, STALL, 1, 100))))
    assert "alert" not in released[origin].get("class").split()
