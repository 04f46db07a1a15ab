"""The market board's queries over a market recorded on a real chain and indexed into SQLite
and PostgreSQL: prices (median and range over known sales, market-wide and per stall), arrivals
(accepted hand-offs and customs imports), the day's lab tests and alerts, the stall directory
with ratings, a stall's screen, and the regulators' view."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from ledger.errors import NotFound
from ledger.queries.market import (
    alerts_between,
    day_window,
    describe_stall,
    inspections_between,
    market_day,
    prices,
    stall_directory,
    stall_entry,
    stall_oversight,
    stall_screen,
    supply,
)
from ledger.store.ratings import StallRating, add_rating
from tests.factories.board_market import (
    RECALL_REASON,
    RecordedBoard,
    indexed_board_market,
    recorded_board_market,
    sale_ids,
)
from tests.factories.databases import KINDS
from tests.factories.market import GTIN, OTHER_GTIN, Market

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_TIME = (0, 2**40)


@dataclass(frozen=True)
class Indexed:
    engine: Engine
    market: Market
    lots: dict[str, str]

    def sale_ids(self, vendor: str) -> list[str]:
        return sale_ids(self.engine, vendor)

    def block_times(self, table: str) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(f"SELECT block_time FROM {table} ORDER BY block_time")).scalars())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedBoard]:
    with recorded_board_market(tmp_path_factory.mktemp("board")) as made:
        yield made


@pytest.fixture(scope="module", params=KINDS)
def indexed(
    request: pytest.FixtureRequest, recorded: RecordedBoard, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Indexed]:
    with indexed_board_market(recorded, request.param, tmp_path_factory.mktemp("db")) as engine:
        yield Indexed(engine, recorded.market, recorded.lots)


def the_day(indexed: Indexed) -> date:
    """The market day the scenario was recorded on (Shanghai)."""
    return market_day(indexed.block_times("sales")[0], SHANGHAI)


def test_prices_market_wide_are_median_and_range_of_unit_prices(indexed: Indexed) -> None:
    start, end = day_window(the_day(indexed), SHANGHAI)
    found = {(p.gtin, p.vendor): p for p in prices(indexed.engine, start, end, SHANGHAI)}
    assert set(found) == {(GTIN, None), (OTHER_GTIN, None)}
    greens = found[GTIN, None]
    # Unit prices 600, 700, 500 (Stall A12) and 800 (Stall B03): median of four is 650.
    assert (greens.sales, greens.quantity, greens.median, greens.low, greens.high) == (4, 7, 650, 500, 800)
    assert (greens.unit, greens.currency, greens.day) == ("KGM", "CNY", the_day(indexed))
    assert greens.lots == ("MK-GREENS-1", "MK-GREENS-3")
    durian = found[OTHER_GTIN, None]
    assert (durian.sales, durian.quantity, durian.median, durian.low, durian.high) == (2, 3, 3100, 3000, 3200)


def test_prices_per_stall_and_at_one_stall(indexed: Indexed) -> None:
    m = indexed.market
    start, end = day_window(the_day(indexed), SHANGHAI)
    per_stall = {(p.gtin, p.vendor): p.median for p in prices(indexed.engine, start, end, SHANGHAI, by_stall=True)}
    assert per_stall == {
        (GTIN, m.vendor.address): 600,
        (GTIN, m.vendor2.address): 800,
        (OTHER_GTIN, m.vendor2.address): 3100,
    }
    (only,) = prices(indexed.engine, start, end, SHANGHAI, vendor=m.vendor.address)
    assert (only.gtin, only.vendor, only.median, only.low, only.high, only.sales) == (
        GTIN,
        m.vendor.address,
        600,
        500,
        700,
        3,
    )


def test_prices_outside_the_window_are_not_counted(indexed: Indexed) -> None:
    first_sale = indexed.block_times("sales")[0]
    assert prices(indexed.engine, 0, first_sale, SHANGHAI) == []
    last_sale = indexed.block_times("sales")[-1]
    after = prices(indexed.engine, last_sale, last_sale + 1, SHANGHAI)
    assert sum(p.sales for p in after) >= 1
    assert prices(indexed.engine, last_sale + 1, last_sale + 86_400, SHANGHAI) == []


def test_supply_sums_accepted_hand_offs_and_imports_per_product(indexed: Indexed) -> None:
    start, end = day_window(the_day(indexed), SHANGHAI)
    found = {s.gtin: s for s in supply(indexed.engine, start, end, SHANGHAI)}
    greens, durian = found[GTIN], found[OTHER_GTIN]
    assert (greens.received, greens.handoffs, greens.imported, greens.imports, greens.total) == (170, 3, 0, 0, 170)
    assert greens.lots == ("MK-GREENS-1", "MK-GREENS-2", "MK-GREENS-3")
    assert (durian.received, durian.handoffs, durian.imported, durian.imports, durian.total) == (30, 1, 30, 1, 60)
    assert supply(indexed.engine, 0, indexed.block_times("custody_events")[0], SHANGHAI) == []


def test_inspections_between_show_residues_against_limits_and_the_holder(indexed: Indexed) -> None:
    tests = inspections_between(indexed.engine, *ALL_TIME)
    assert [(t.lot, t.passed) for t in tests] == [("MK-GREENS-2", False), ("MK-GREENS-1", True)]  # newest first
    failed, passed = tests
    assert failed.holder.name == "Stall B03" and failed.lab.name == "Market Lab"
    assert [(r.substance, r.measured, r.limit, r.exceeded) for r in failed.residues] == [("carbofuran", 37, 20, True)]
    assert [(r.substance, r.exceeded) for r in passed.residues] == [("chlorpyrifos", False), ("lead (Pb)", False)]
    assert passed.holder.name == "Stall A12" and passed.gtin == GTIN


def test_alerts_between_list_quarantined_and_recalled_lots(indexed: Indexed) -> None:
    alerts = alerts_between(indexed.engine, *ALL_TIME)
    assert [(a.kind, a.lot, a.status) for a in alerts] == [
        ("recalled", "MK-GREENS-2", "recalled"),
        ("quarantined", "MK-GREENS-2", "recalled"),
    ]
    recalled, quarantined = alerts
    assert recalled.reason == RECALL_REASON
    assert quarantined.reason == "carbofuran 37/20 ug/kg"
    assert quarantined.holder.name == "Stall B03"
    first_inspection = indexed.block_times("inspections")[0]
    assert alerts_between(indexed.engine, 0, first_inspection) == []


def test_stall_directory_reads_place_owner_licence_and_ratings(indexed: Indexed) -> None:
    m = indexed.market
    stalls = stall_directory(indexed.engine)
    assert [(s.place, s.sign, s.licence, s.owner, s.suspended) for s in stalls] == [
        ("A12", "Stall A12", "JY33010600012345", None, False),
        ("B03", "Stall B03", "JY33010600067890", None, False),
    ]
    assert {s.rating for s in stalls} == {StallRating(0, None)}
    with pytest.raises(NotFound):
        stall_entry(indexed.engine, m.supplier.address)  # a farm is no stall


def test_stall_entry_counts_ratings_without_a_mean_under_five(indexed: Indexed) -> None:
    m = indexed.market
    sales = indexed.sale_ids(m.vendor2.address)
    for sale_id, stars in zip(sales, (5, 4, 4), strict=True):
        add_rating(indexed.engine, sale_id, stars)
    assert stall_entry(indexed.engine, m.vendor2.address).rating == StallRating(3, None)
    for sale_id, stars in zip(indexed.sale_ids(m.vendor.address), (5, 3), strict=False):
        add_rating(indexed.engine, sale_id, stars)
    assert stall_entry(indexed.engine, m.vendor2.address).rating == StallRating(3, None)
    add_rating(indexed.engine, indexed.sale_ids(m.vendor.address)[2], 5)
    assert stall_entry(indexed.engine, m.vendor.address).rating == StallRating(3, None)


def test_stall_screen_shows_stock_with_origins_last_tests_and_prices(indexed: Indexed) -> None:
    m = indexed.market
    start, end = day_window(the_day(indexed), SHANGHAI)
    screen = stall_screen(indexed.engine, m.vendor2.address, start, end, SHANGHAI)
    assert screen.stall.place == "B03"
    stock = {lot.lot: lot for lot in screen.stock}
    assert set(stock) == {"MK-GREENS-2", "MK-GREENS-3", "MK-DUR-1"}
    assert (stock["MK-DUR-1"].origins, stock["MK-DUR-1"].origin_kinds) == (["TH"], ["import"])
    assert stock["MK-DUR-1"].remaining == 27 and stock["MK-DUR-1"].last_inspection is None
    assert stock["MK-GREENS-3"].origins == ["Green Valley Farm"]
    failing = stock["MK-GREENS-2"]
    assert (failing.status, failing.origins) == ("recalled", ["West Lake Wholesale"])
    assert failing.last_inspection is not None and failing.last_inspection.passed is False
    assert [(p.gtin, p.median) for p in screen.prices] == [(GTIN, 800), (OTHER_GTIN, 3100)]
    assert screen.as_of_block is not None
    a12 = stall_screen(indexed.engine, m.vendor.address, start, end, SHANGHAI)
    (greens,) = a12.stock
    assert (greens.lot, greens.remaining, greens.last_inspection.passed) == ("MK-GREENS-1", 94, True)  # type: ignore[union-attr]


def test_stall_oversight_puts_failed_tests_next_to_ratings(indexed: Indexed) -> None:
    m = indexed.market
    rows = stall_oversight(indexed.engine)
    assert [(r.stall.place, r.inspections, r.failed_inspections) for r in rows] == [("B03", 1, 1), ("A12", 1, 0)]
    assert rows[0].last_failed_at == indexed.block_times("inspections")[-1]
    assert rows[1].last_failed_at is None
    assert rows[0].stall.address == m.vendor2.address


@pytest.mark.parametrize(
    ("name", "sign", "place", "owner"),
    [
        ("Stall A12 Fresh Greens (Wang Li)", "Stall A12 Fresh Greens", "A12", "Wang Li"),
        ("Stall B03", "Stall B03", "B03", None),
        ("A12号摊位\uff08王丽\uff09", "A12号摊位", "A12", "王丽"),
        ("매장 C7 (김민수)", "매장 C7", "C7", "김민수"),
        ("Fruit Corner", "Fruit Corner", None, None),
    ],
)
def test_describe_stall_reads_sign_place_and_owner(name: str, sign: str, place: str | None, owner: str | None) -> None:
    found = describe_stall(name)
    assert (found.sign, found.place, found.owner) == (sign, place, owner)


def test_day_window_is_the_market_day_in_its_zone() -> None:
    start, end = day_window(date(2026, 11, 26), SHANGHAI)
    assert (start, end - start) == (1_795_622_400, 86_400)  # 2026-11-25 16:00 UTC
    assert market_day(start, SHANGHAI) == date(2026, 11, 26)
    assert market_day(start - 1, SHANGHAI) == date(2026, 11, 25)
