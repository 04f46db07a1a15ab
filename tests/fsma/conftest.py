"""The traceability scenario (tests/factories/traceability.py) recorded once per module on
a fresh chain and indexed into SQLite and PostgreSQL: the spreadsheets are read from both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from tests.factories.traceability import TraceChain, trace_chain
from tests.support.databases import KINDS, Databases


@dataclass(frozen=True)
class Traced:
    chain: TraceChain
    engine: Engine
    url: str


@pytest.fixture(scope="module")
def _trace_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TraceChain]:
    yield from trace_chain(tmp_path_factory.mktemp("trace"))


@pytest.fixture(scope="module", params=KINDS)
def traced(
    request: pytest.FixtureRequest, _trace_chain: TraceChain, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Traced]:
    databases = Databases(request.param, tmp_path_factory.mktemp("db"))
    try:
        url = databases.url()
        engine = databases.engine(url)
        _trace_chain.index(engine)
        yield Traced(_trace_chain, engine, url)
    finally:
        databases.close()
