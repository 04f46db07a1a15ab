"""The traceability scenario recorded once per module; every test indexes it into a fresh
database (SQLite, then PostgreSQL), may tamper with it, and audits it against the chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from ledger.audit import AuditReport, audit
from tests.factories.traceability import TraceChain, trace_chain
from tests.support.databases import Databases


@dataclass(frozen=True)
class Audited:
    chain: TraceChain
    engine: Engine
    url: str

    def audit(self) -> AuditReport:
        return audit(
            self.engine, rpc_url=self.chain.node.rpc_url, source=self.chain.source(), documents=self.chain.store
        )


@pytest.fixture(scope="module")
def _trace_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TraceChain]:
    yield from trace_chain(tmp_path_factory.mktemp("trace"))


@pytest.fixture
def indexed(_trace_chain: TraceChain, databases: Databases) -> Audited:
    """A fresh, honest index of the scenario, free to tamper with."""
    url = databases.url()
    engine = databases.engine(url)
    _trace_chain.index(engine)
    return Audited(_trace_chain, engine, url)
