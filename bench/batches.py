"""The batch calls measured per item: 100 harvested lots, a 100-line customs declaration and
100 sales of one stall, each in one transaction on a FreshLedger that ran the scenario.

Inputs are what the issue's users send: a farm's sheet of 100 lots of four products (each
lot its own harvest time, plot and photo), a container's declaration of 100 lines of five
products from three countries (8-digit HS codes), and a stall's minute of 100 sales of the
five batches it holds (20 each, grouped by batch as the write queue groups them). The gas of
each transaction, divided by 100, is the figure; ``bench/gas.py`` prints it.
"""

from __future__ import annotations

from bench.scenario import HOUR, Cast, document_cid
from ledger.chain.freshledger import Declaration, FreshLedgerContract, HarvestLot, ImportLine, Sale, batch_id_of
from ledger.gs1 import make_gtin

COUNT = 100
#: Issue bounds on the gas of one item of a 100-item call.
BOUNDS = {
    "register_harvests_100_per_lot": 36_000,
    "register_imports_100_per_line": 36_000,
    "record_sales_100_per_sale": 4_500,
}
PRODUCTS = [make_gtin(f"069012340{n:04d}") for n in range(10, 15)]
#: (origin country, HS code) of the declaration's lines: durian, mangosteen, longan.
ORIGINS = [("TH", "08106000"), ("VN", "08045030"), ("MY", "08109040")]
STALL_BATCHES = 5


def measure(ledger: FreshLedgerContract, who: Cast, now: int) -> dict[str, int]:
    """Gas per item of each batch call; the participants of `who` must be registered."""
    gas: dict[str, int] = {}
    lots = [
        HarvestLot(
            gtin=PRODUCTS[n % 4],
            lot=f"GV-2612-{n:03d}",
            quantity=50 + n,
            unit="KGM",
            harvested_at=now - 6 * HOUR - 60 * n,
            origin=f"geo:30.{2300 + n},119.7248",
            document_cid=document_cid(f"harvest photo, plot {n}".encode()),
        )
        for n in range(COUNT)
    ]
    result = ledger.register_harvests(who.farm, lots)
    _expect(result.events, "HarvestRegistered", COUNT)
    gas["register_harvests_100_per_lot"] = result.gas_used // COUNT

    declaration = Declaration(
        number="310120261000200001",
        entry_port="CNNGB",
        cleared_at=now - 2 * HOUR,
        importer=who.importer.address,
        document_cid=document_cid(b"Customs declaration 310120261000200001: 100 lines"),
    )
    lines = [
        ImportLine(
            gtin=PRODUCTS[n % 5],
            lot=f"IMP-2612-{n:03d}",
            quantity=200 + n,
            unit="KGM",
            origin_country=ORIGINS[n % 3][0],
            hs_code=ORIGINS[n % 3][1],
        )
        for n in range(COUNT)
    ]
    result = ledger.register_imports(who.customs, declaration, lines)
    _expect(result.events, "ImportLineRegistered", COUNT)
    gas["register_imports_100_per_line"] = result.gas_used // COUNT

    stall = [batch_id_of(lot.gtin, lot.lot) for lot in lots[:STALL_BATCHES]]
    for batch_id in stall:
        ledger.hand_off(who.farm, batch_id, who.vendor.address)
        ledger.accept_hand_off(who.vendor, batch_id)
    per_batch = COUNT // STALL_BATCHES
    sales = [
        Sale(batch_id, quantity=1 + n % 2, price=1200 + 150 * (n % 7), currency="CNY")
        for batch_id in stall
        for n in range(per_batch)
    ]
    result = ledger.record_sales(who.vendor, sales)
    _expect(result.events, "SaleRecorded", COUNT)
    gas["record_sales_100_per_sale"] = result.gas_used // COUNT
    return gas


def _expect(events: list, name: str, count: int) -> None:
    found = sum(1 for event in events if event.name == name)
    if found != count:
        raise AssertionError(f"expected {count} {name} events, found {found}")
