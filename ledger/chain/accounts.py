"""Keys of the local development chain.

anvil funds the accounts of its well-known development mnemonic; their private keys are
public knowledge, so they serve the local chain, the demo and the tests, and nothing else.
Real participants keep their keys in encrypted keystores (:mod:`ledger.keys`).
"""

from __future__ import annotations

from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.chain.node import DEV_ACCOUNTS, DEV_MNEMONIC

Account.enable_unaudited_hdwallet_features()


@cache
def dev_account(index: int) -> LocalAccount:
    """Account `index` (0-based) of the development mnemonic, as anvil derives it."""
    if not 0 <= index < DEV_ACCOUNTS:
        raise ValueError(f"the local chain funds accounts 0..{DEV_ACCOUNTS - 1}, not {index}")
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
