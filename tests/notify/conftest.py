"""The demo market per test (anvil, indexer, SQLite and PostgreSQL) and a local receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notify.receiver import Receiver, receiver
from tests.recall.demo_chain import DemoChain, demo_chain
from tests.support.databases import Databases


@pytest.fixture
def market(databases: Databases, tmp_path: Path) -> Iterator[DemoChain]:
    with demo_chain(tmp_path, databases.engine()) as chain:
        yield chain


@pytest.fixture
def inbox() -> Iterator[Receiver]:
    with receiver() as served:
        yield served
