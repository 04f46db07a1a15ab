"""A fresh demo market per test (a recall changes the chain for good), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.recall.demo_chain import DemoChain, demo_chain
from tests.support.databases import Databases


@pytest.fixture
def market(databases: Databases, tmp_path: Path) -> Iterator[DemoChain]:
    with demo_chain(tmp_path, databases.engine()) as chain:
        yield chain
