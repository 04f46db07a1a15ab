"""The public surface of `ledger` is exactly what `__all__` says (httpx's practice)."""

from __future__ import annotations

import types

import ledger


def test_all_exported_names_exist() -> None:
    for name in ledger.__all__:
        assert hasattr(ledger, name), name


def test_no_public_name_outside_all() -> None:
    # Subpackages appear as attributes once imported anywhere; they are namespaces, not API.
    public = {
        name
        for name, value in vars(ledger).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(ledger.__all__) == set()
