"""The markets the queries are checked against, recorded on a real chain and indexed into
SQLite and PostgreSQL: the demo market (a realistic history, read only, recorded once for the
package) and the board market (a small market day with known prices, tests and alerts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from ledger import demo
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.queries.days import market_day
from tests.factories.board_market import RecordedBoard, indexed_board_market, recorded_board_market, sale_ids
from tests.factories.demo_market import indexed_demo
from tests.factories.market import Market
from tests.support.databases import KINDS

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A window holding every block time of the tests' chains.
ALL_TIME = (0, 2**40)


@dataclass(frozen=True)
class DemoMarket:
    engine: Engine
    ledger: FreshLedgerContract
    cast: demo.Cast

    def batch(self, gtin: str, lot: str) -> str:
        return "0x" + batch_id_of(gtin, lot).hex()


@pytest.fixture(scope="package", params=KINDS)
def demo_market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoMarket]:
    with indexed_demo(request.param, tmp_path_factory.mktemp("demo")) as (engine, ledger):
        yield DemoMarket(engine, ledger, demo.cast())


@dataclass(frozen=True)
class Indexed:
    """The board market (``tests.factories.board_market``) indexed into one database."""

    engine: Engine
    market: Market
    lots: dict[str, str]

    def sale_ids(self, vendor: str) -> list[str]:
        return sale_ids(self.engine, vendor)

    def block_times(self, table: str) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(f"SELECT block_time FROM {table} ORDER BY block_time")).scalars())

    def day(self) -> date:
        """The market day the scenario was recorded on (Shanghai)."""
        return market_day(self.block_times("sales")[0], SHANGHAI)


@pytest.fixture(scope="package")
def board_recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedBoard]:
    with recorded_board_market(tmp_path_factory.mktemp("board")) as made:
        yield made


@pytest.fixture(scope="module", params=KINDS)
def indexed(
    request: pytest.FixtureRequest, board_recorded: RecordedBoard, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Indexed]:
    """The board market in a database of each kind, one per test module (ratings are written)."""
    with indexed_board_market(board_recorded, request.param, tmp_path_factory.mktemp("db")) as engine:
        yield Indexed(engine, board_recorded.market, board_recorded.lots)
