"""The batch calls index exactly like the single calls they stand for, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, text

from ledger.chain.freshledger import Sale, batch_id_of
from ledger.chain.node import rpc
from ledger.queries.declarations import get_declaration
from tests.factories.batch_calls import HS_DURIAN, chain_now, declaration, lines, lots
from tests.factories.chain import Chain, make_indexer
from tests.factories.market import at_stall
from tests.support.databases import Databases

#: Where a row sits in the chain: the only columns by which N transactions and one differ.
_PLACE = {"block_number", "log_index", "block_time", "tx_hash", "created_block", "created_log_index", "created_at"}
_PLACE |= {"created_tx"}


def _rows(engine: Engine, table: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
    kept = [{k: v for k, v in row.items() if k not in _PLACE} for row in rows]
    return sorted(kept, key=repr)


def _raw_event_args(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            (name, str(args))
            for name, args in conn.execute(text("SELECT name, args FROM raw_events ORDER BY block_number, log_index"))
        ]


def test_record_sales_indexes_exactly_like_single_sales(chain: Chain, databases: Databases) -> None:
    market = chain.market
    first, second = at_stall(market, quantity=12), at_stall(market, quantity=5)
    sales = [Sale(first, 2, 1200, "CNY"), Sale(first, 3, 1500, "CNY"), Sale(second, 5, 900, "CNY")]
    sales.append(Sale(first, 7, 3000, "CNY"))  # sells the first batch out
    snapshot = rpc(chain.node.rpc_url, "evm_snapshot")

    for sale in sales:
        market.ledger.record_sale(
            market.vendor, sale.batch_id, quantity=sale.quantity, price=sale.price, currency=sale.currency
        )
    singles = databases.engine()
    make_indexer(chain, singles).sync()

    rpc(chain.node.rpc_url, "evm_revert", [snapshot])
    market.ledger.client.forget_nonces()
    market.ledger.record_sales(market.vendor, sales)
    batched = databases.engine()
    make_indexer(chain, batched).sync()

    for table in ("sales", "batches"):
        assert _rows(batched, table) == _rows(singles, table), table
    assert _raw_event_args(batched) == _raw_event_args(singles)
    statuses = {
        row["batch_id"]: (row["status"], row["remaining"], row["sale_count"]) for row in _rows(batched, "batches")
    }
    assert statuses["0x" + first.hex()] == ("sold_out", 0, 3)


def test_register_harvests_indexes_exactly_like_single_harvests(chain: Chain, databases: Databases) -> None:
    market = chain.market
    given = lots(market, 3)
    snapshot = rpc(chain.node.rpc_url, "evm_snapshot")
    for lot in given:
        market.ledger.register_harvest(market.supplier, **lot.__dict__)
    singles = databases.engine()
    make_indexer(chain, singles).sync()

    rpc(chain.node.rpc_url, "evm_revert", [snapshot])
    market.ledger.client.forget_nonces()
    market.ledger.register_harvests(market.supplier, given)
    batched = databases.engine()
    make_indexer(chain, batched).sync()

    for table in ("harvests", "batches", "documents"):
        assert _rows(batched, table) == _rows(singles, table), table


def test_declaration_lines_are_indexed_as_imports_with_their_hs_code(chain: Chain, databases: Databases) -> None:
    market = chain.market
    header = declaration(market, line_count=5)
    given = lines(5)
    market.ledger.register_imports(market.customs, header, given[:3])
    market.ledger.register_imports(market.customs, header, given[3:], first_line=3)  # a later block
    single = lines(1)[0]
    market.ledger.register_import(
        market.customs,
        gtin=single.gtin,
        lot=single.lot,
        quantity=single.quantity,
        unit="KGM",
        importer=market.supplier.address,
        origin_country="TH",
        declaration_number="3101-SINGLE",
        cleared_at=chain_now(market) - 60,
        entry_port="CNSHA",
    )
    engine = databases.engine()
    make_indexer(chain, engine).sync()

    imports = {row["batch_id"]: row for row in _rows(engine, "imports")}
    for n, line in enumerate(given):
        row = imports["0x" + batch_id_of(line.gtin, line.lot).hex()]
        assert row == {
            "batch_id": "0x" + batch_id_of(line.gtin, line.lot).hex(),
            "importer": market.supplier2.address,
            "customs": market.customs.address,
            "origin_country": line.origin_country,
            "hs_code": line.hs_code,
            "declaration_number": header.number,
            "declaration_line": n,
            "cleared_at": header.cleared_at,
            "entry_port": "CNNGB",
            "document_cid": row["document_cid"],
        }
        assert row["document_cid"].startswith("bafk")
    alone = imports["0x" + batch_id_of(single.gtin, single.lot).hex()]
    assert (alone["hs_code"], alone["declaration_line"], alone["importer"]) == (None, None, market.supplier.address)

    found = get_declaration(engine, header.number)
    assert found is not None
    assert (found.entry_port, found.importer, found.cleared_at) == (
        "CNNGB",
        market.supplier2.address,
        header.cleared_at,
    )
    assert [(x.line, x.lot, x.hs_code, x.quantity) for x in found.lines] == [
        (n, line.lot, line.hs_code, line.quantity) for n, line in enumerate(given)
    ]
    assert found.lines[0].hs_code == HS_DURIAN
    assert get_declaration(engine, "no such declaration") is None
    batches = {row["batch_id"]: row for row in _rows(engine, "batches")}
    assert all(batches[b]["origin_kind"] == "import" for b in imports)
    assert batches["0x" + batch_id_of(given[0].gtin, given[0].lot).hex()]["custodian"] == market.supplier2.address
