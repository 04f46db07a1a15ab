"""The public surface of `ledger` is exactly what `__all__` says (httpx's practice)."""

from __future__ import annotations

import ledger


def test_all_exported_names_exist() -> None:
    for name in ledger.__all__:
        assert hasattr(ledger, name), name


def test_no_public_name_outside_all() -> None:
    public = {name for name in vars(ledger) if not name.startswith("_")}
    modules = {"chain", "errors", "paths", "gs1", "config", "demo", "cli"}
    assert public - modules - set(ledger.__all__) == set()
