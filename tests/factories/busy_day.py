"""A busy market day in the index: 80 stalls, 60 products arriving, 200 lab tests (a few
failing), sales at most stalls and a couple of recalls, all within today's market day.

Written as the contract's events through the indexer's own projection and write path
(:func:`ledger.indexer.sync.write_events`), the way ``bench/board.py`` fills its databases:
several hundred transactions on anvil would cost a minute of a shared machine for a test of the
wall screen's layout, which reads nothing but the index. The events are the ones the contract
emits, with the arguments the decoder produces."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import tzinfo

from sqlalchemy import Engine

from ledger.chain.events import ChainEvent
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.gs1 import make_gtin
from ledger.indexer.sync import write_events
from ledger.queries.days import market_window
from ledger.store.products import set_product
from ledger.store.writer import CheckpointRecord, IndexStore
from ledger.vocabulary import ROLE_IDS, to_hex

STALLS = 80
PRODUCTS = 60
TESTS = 200
#: Every FAILING-th test fails (its lot quarantined); every RECALLED-th lot is recalled.
FAILING = 50
RECALLED = 90


@dataclass
class BusyDay:
    """What was written: the lots tested, the stalls, products and alerts, by their keys."""

    stalls: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # lots quarantined or recalled
    events: list[ChainEvent] = field(default_factory=list)
    first_time: int = 0

    def emit(self, name: str, /, **args: object) -> None:
        block = len(self.events) + 1
        self.events.append(
            ChainEvent(block, f"0x{block:064x}", self.first_time + block, f"0x{block:064x}", 0, 0, name, dict(args))
        )


def _address(n: int) -> str:
    return f"0x{n:040x}"


def busy_day(tz: tzinfo) -> BusyDay:
    """The day's events, timed from the start of today's market day in `tz` (one a second)."""
    _, start, _ = market_window(None, tz)
    day = BusyDay(first_time=max(start + 60, int(time.time()) - 3 * 3600))
    farm, lab, regulator = _address(1), _address(2), _address(3)
    for index, (account, name, role) in enumerate(
        [(farm, "Lin'an Greens Co-op", "SUPPLIER"), (lab, "Market Lab", "LAB"), (regulator, "Bureau", "REGULATOR")]
    ):
        day.emit("ParticipantRegistered", account=account, role="", index=index, name=name, identifier=f"ID{index}")
        day.emit("RoleGranted", role=to_hex(ROLE_IDS[role]), account=account, sender=farm)
    for n in range(STALLS):
        stall = _address(100 + n)
        row, place = "ABCDEFGH"[n // 10], n % 10 + 1
        name = f"Stall {row}{place:02d} Fresh Produce No. {n + 1} (Owner {n + 1})"
        day.emit("ParticipantRegistered", account=stall, role="", index=10 + n, name=name, identifier=f"JY{n:014d}")
        day.emit("RoleGranted", role=to_hex(ROLE_IDS["VENDOR"]), account=stall, sender=farm)
        day.stalls.append(stall)
    day.products = [make_gtin(f"06901234{n:05d}") for n in range(PRODUCTS)]
    for n in range(TESTS):
        gtin, stall, lot = day.products[n % PRODUCTS], day.stalls[n % STALLS], f"BUSY-{n:04d}"
        batch = "0x" + batch_id_of(gtin, lot).hex()
        day.lots.append(lot)
        day.emit(
            "HarvestRegistered",
            batchId=batch,
            supplier=farm,
            gtin=gtin,
            lot=lot,
            quantity=50,
            unit="KGM",
            harvestedAt=day.first_time - 7200,
            origin="geo:30.2336,119.7248",
            documentCid=None,
        )
        day.emit("HandOffInitiated", batchId=batch, **{"from": farm}, to=stall, quantity=50)
        day.emit("HandOffAccepted", batchId=batch, to=stall, quantity=50)
        failed = n % FAILING == FAILING - 1
        measured = 80 if failed else 4
        residues = [{"substance": "chlorpyrifos", "measured": measured, "limit": 50, "unit": "ug/kg"}]
        day.emit("InspectionRecorded", batchId=batch, lab=lab, passed=not failed, residues=residues, reportCid=None)
        if failed:
            day.alerts.append(lot)
            continue
        for serial in (1, 2):
            sale = "0x" + sale_id_of(bytes.fromhex(batch[2:]), serial).hex()
            price = 500 + 10 * (n % 37)
            day.emit(
                "SaleRecorded",
                batchId=batch,
                vendor=stall,
                saleId=sale,
                serial=serial,
                quantity=serial,
                price=price * serial,
                currency="CNY",
            )
        if n % RECALLED == RECALLED - 1:
            day.emit("RecallIssued", batchId=batch, regulator=regulator, reason=f"Supplier recall of lot {lot}")
            day.alerts.append(lot)
    return day


def write_busy_day(engine: Engine, tz: tzinfo) -> BusyDay:
    """:func:`busy_day` written into the (migrated) index at `engine`."""
    day = busy_day(tz)
    last = day.events[-1]
    write_events(
        IndexStore(engine),
        day.events,
        final_block=last.block_number,
        recent_blocks=[],
        checkpoint=CheckpointRecord(last.block_number, last.block_hash),
        prune_below=last.block_number,
    )
    return day


#: Catalog names for the busy day's products (English, Chinese, Korean), repeated with a grade.
NAMES = [
    ("Bok choy", "上海青", "청경채"),
    ("Napa cabbage", "大白菜", "배추"),
    ("Spinach", "菠菜", "시금치"),
    ("Tomatoes", "番茄", "토마토"),
    ("Cucumbers", "黄瓜", "오이"),
    ("Eggplant", "茄子", "가지"),
    ("Lotus root", "莲藕", "연근"),
    ("Bamboo shoots", "春笋", "죽순"),
    ("Garlic chives", "韭菜", "부추"),
    ("Winter melon", "冬瓜", "동아"),
    ("Shiitake", "香菇", "표고버섯"),
    ("Monthong durian", "金枕榴莲", "몬통 두리안"),
    ("Strawberries", "草莓", "딸기"),
    ("Mandarins", "柑橘", "귤"),
    ("Lychee", "荔枝", "리치"),
]


def name_products(engine: Engine, day: BusyDay) -> None:
    """Name the day's products in the catalog, as a real market does: the screens must fit names."""
    for n, gtin in enumerate(day.products):
        en, zh, ko = NAMES[n % len(NAMES)]
        grade = n // len(NAMES) + 1
        set_product(engine, gtin, f"{en}, grade {grade}", {"zh": f"{zh} {grade}级", "ko": f"{ko} {grade}등급"})
