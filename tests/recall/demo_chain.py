"""The demo market on a fresh anvil, indexed: what recall and notification tests start from.

Each test gets its own chain (a recall changes it for good) and its own database.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger import demo
from ledger.chain.deploy import Deployment
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.indexer.fetch import JsonRpc
from ledger.indexer.sync import Indexer
from ledger.queries import trace_forward
from ledger.queries.views import TraceResult
from ledger.recall import RecallSender
from ledger.store.writer import IndexStore
from tests.factories.chain import deployed_node

#: The farm lot the tests recall: leafy greens, repacked for stalls, sold, never recalled.
GREENS_LOT = "GV-2611-01"


@dataclass
class DemoChain:
    rpc_url: str
    deployment: Deployment
    ledger: FreshLedgerContract
    engine: Engine
    indexer: Indexer
    cast: demo.Cast
    data_dir: Path

    def sync(self) -> None:
        """One indexer poll: the database catches up with the chain's head."""
        self.indexer.sync()

    def batch_id(self, gtin: str, lot: str) -> str:
        return "0x" + batch_id_of(gtin, lot).hex()

    def greens(self) -> str:
        return self.batch_id(demo.GREENS_GTIN, GREENS_LOT)

    def trace(self, batch_id: str) -> TraceResult:
        return trace_forward(self.engine, batch_id)

    def sender(self, account: LocalAccount | None = None) -> RecallSender:
        return RecallSender(self.ledger, account or self.cast.regulator)

    def status(self, batch_id: str) -> str:
        return self.ledger.batch(bytes.fromhex(batch_id.removeprefix("0x"))).status


@contextmanager
def demo_chain(tmp_path: Path, engine: Engine) -> Iterator[DemoChain]:
    """Anvil with FreshLedger deployed (record saved under ``tmp_path/data``), the demo
    market recorded and indexed into `engine`."""
    with deployed_node(tmp_path) as chain:
        indexer = Indexer(JsonRpc(chain.rpc_url), IndexStore(engine), chain.source())
        indexer.check_identity()
        _record(chain.ledger, indexer, engine)
        indexer.sync()
        yield DemoChain(chain.rpc_url, chain.deployment, chain.ledger, engine, indexer, demo.cast(), chain.data_dir)


def _record(ledger: FreshLedgerContract, indexer: Indexer, engine: Engine) -> None:
    # The demo traces its own recall through the database when its recorder asks for one.
    if "indexed" in inspect.signature(demo.record_scenario).parameters:

        def indexed() -> Engine:
            indexer.sync()
            return engine

        demo.record_scenario(ledger, indexed=indexed)
    else:
        demo.record_scenario(ledger)
