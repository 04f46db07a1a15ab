"""A sale is unique by its batch and serial, and found by its id through the index on the id's
first characters (``ix_sales_sale_id_prefix``), on both databases: the index is there as the
models say (Alembic's comparison cannot see it on SQLite), the lookups use it, two ids that
share the prefix are told apart, and migration 0020 keeps the sales and goes down and up."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from ledger.queries.lineage import ancestors_of_sale
from ledger.store.db import alembic_config, make_engine, migrate
from ledger.store.models import Sale, sale_id_is, sale_id_matches, sale_id_prefix
from tests.support.databases import Databases

SALE = text(
    "INSERT INTO sales (sale_id, batch_id, serial, vendor, quantity, price, currency, block_number, log_index, "
    "block_time, tx_hash) VALUES (:sale_id, :batch_id, :serial, :vendor, 1, 1, 'CNY', :block, 0, 1, :tx)"
)
VENDOR = "0x" + "cd" * 20
BATCH = "0x" + "ba" * 32
OTHER_BATCH = "0x" + "bb" * 32
# Two ids with the same first 8 hex digits: the index finds both, the row's id decides.
TWIN_A = "0x12345678" + "aa" * 28
TWIN_B = "0x12345678" + "bb" * 28


def _sale(conn: object, sale_id: str, batch_id: str, serial: int, block: int) -> None:
    conn.execute(  # type: ignore[attr-defined]
        SALE,
        {"sale_id": sale_id, "batch_id": batch_id, "serial": serial, "vendor": VENDOR, "block": block, "tx": sale_id},
    )


def _index_sql(engine: Engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = 'ix_sales_sale_id_prefix'"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_sales_sale_id_prefix'"
        return str(conn.execute(text(query)).scalar_one_or_none() or "")


def test_the_prefix_index_is_on_the_ids_first_eight_digits(databases: Databases) -> None:
    engine = databases.engine()
    assert "substr" in _index_sql(engine) and "3, 8)" in _index_sql(engine)
    assert sale_id_prefix(TWIN_A) == "12345678"


def test_a_sale_is_found_by_its_id_and_not_by_a_twin_prefix(databases: Databases) -> None:
    engine = databases.engine()
    with engine.begin() as conn:
        _sale(conn, TWIN_A, BATCH, 1, 1)
        _sale(conn, TWIN_B, OTHER_BATCH, 1, 2)
    with engine.connect() as conn:
        assert ancestors_of_sale(conn, TWIN_A) == {BATCH: 0}
        assert ancestors_of_sale(conn, TWIN_B) == {OTHER_BATCH: 0}
        assert ancestors_of_sale(conn, "0x12345678" + "cc" * 28) == {}


def test_a_batch_and_serial_recorded_twice_is_refused(databases: Databases) -> None:
    engine = databases.engine()
    with engine.begin() as conn:
        _sale(conn, TWIN_A, BATCH, 1, 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _sale(conn, TWIN_B, BATCH, 1, 2)


def _plan(engine: Engine, query: str, params: dict[str, str]) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}"), params))
        conn.execute(text("ANALYZE sales"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        return " ".join(str(row[0]) for row in conn.execute(text(f"EXPLAIN {query}"), params))


def test_the_lookups_by_id_go_through_the_prefix_index(databases: Databases) -> None:
    """Both forms, the SQL of the lineage walk and the timeline and the condition of
    ``get_sale`` and ratings (a bare ``sale_id = ?`` beside it made SQLite scan the table)."""
    engine = databases.engine()
    with engine.begin() as conn:
        for n in range(200):
            _sale(conn, f"0x{n:064x}", BATCH, n + 1, n + 1)
    params = {"sale_id": TWIN_A, "sale_id_prefix": str(sale_id_prefix(TWIN_A))}
    assert "ix_sales_sale_id_prefix" in _plan(engine, f"SELECT * FROM sales WHERE {sale_id_matches()}", params)
    condition = (
        select(Sale.__table__)
        .where(sale_id_is(TWIN_A))
        .compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    )
    assert "ix_sales_sale_id_prefix" in _plan(engine, str(condition), {})


def test_0020_keeps_the_sales_and_goes_down_and_up(databases: Databases) -> None:
    engine = make_engine(databases.url())
    command.upgrade(alembic_config(engine), "0019")
    with engine.begin() as conn:
        _sale(conn, TWIN_A, BATCH, 1, 1)
    migrate(engine)
    with engine.connect() as conn:
        assert ancestors_of_sale(conn, TWIN_A) == {BATCH: 0}
    assert "substr" in _index_sql(engine)
    command.downgrade(alembic_config(engine), "0019")
    assert _index_sql(engine) == ""
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _sale(conn, TWIN_A, OTHER_BATCH, 2, 2)  # the old guard: the same sale id again
    migrate(engine)
    with engine.connect() as conn:
        assert ancestors_of_sale(conn, TWIN_A) == {BATCH: 0}
    engine.dispose()
