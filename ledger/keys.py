"""Participants' signing keys in encrypted eth-account JSON keystores, one file per address.

The API signs for participants who let the market hold their key; the key exists in plain
form only in memory, after the keystore is decrypted with the operator's password. Keystore
files are written atomically and readable by the owner only.

Example::

    store = KeyStore(Path(".freshledger/keystores"), password)
    address = store.create()                 # a new key, encrypted to disk
    account = store.account(address)         # decrypted once, then cached in memory
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from ledger.errors import ConfigurationError, NotFound

#: scrypt work factor of new keystores: eth-account's default (2^18) costs ~1 s a decrypt;
#: 2^15 is ~0.1 s while staying far beyond brute force for a strong operator password.
SCRYPT_N = 2**15


class KeyStore:
    """Encrypted keystores in one folder, decrypted lazily and kept in memory."""

    def __init__(self, folder: Path, password: str) -> None:
        self.folder = folder
        self._password = password
        self._unlocked: dict[str, LocalAccount] = {}

    def path(self, address: str) -> Path:
        return self.folder / f"{to_checksum_address(address)}.json"

    def create(self, private_key: bytes | None = None) -> str:
        """Encrypt `private_key` (or a new random key) to disk; return its address."""
        account = Account.from_key(private_key) if private_key is not None else Account.create()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(account.address)
        if not path.exists():
            encrypted = Account.encrypt(account.key, self._password, kdf="scrypt", iterations=SCRYPT_N)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(encrypted))
            os.chmod(tmp, 0o600)
            tmp.replace(path)
        self._unlocked[account.address] = account
        return account.address

    def has(self, address: str) -> bool:
        # An unlocked key is held (asked on every write: no checksum hashing, no disk).
        return address in self._unlocked or self.path(address).exists()

    def account(self, address: str) -> LocalAccount:
        """The signing account of `address` (NotFound without a keystore)."""
        held = self._unlocked.get(address)
        if held is not None:  # asked on every write: no checksum hashing
            return held
        address = to_checksum_address(address)
        if address not in self._unlocked:
            path = self.path(address)
            if not path.exists():
                raise NotFound(f"no keystore for {address}")
            try:
                key = Account.decrypt(json.loads(path.read_text()), self._password)
            except ValueError as exc:
                raise ConfigurationError(f"cannot decrypt the keystore of {address}: wrong password?") from exc
            self._unlocked[address] = Account.from_key(key)
        return self._unlocked[address]
