"""Settings of the ledger core, validated once (pydantic-settings, ``FRESHLEDGER_`` prefix).
The API's settings (``api.settings.ApiSettings``) extend these.

| variable                      | default                                                      |
|-------------------------------|--------------------------------------------------------------|
| FRESHLEDGER_ENVIRONMENT       | development (local defaults allowed) or production           |
| FRESHLEDGER_DATA_DIR          | .freshledger/ in the repository                              |
| FRESHLEDGER_RPC_URL           | the local node started by `freshledger chain start`, else http://127.0.0.1:8545 |
| FRESHLEDGER_DATABASE_URL      | SQLite under the data directory (the indexer's database)     |
| FRESHLEDGER_KEYSTORE_PASSWORD | unset: asked on the terminal for a keystore file; the market's  |
|                               | own keystores then use the development one (not in production) |

Example::

    settings = load_settings()
    client = ChainClient(settings.rpc_url)
    account = settings.open_keystore(Path("deployer.json"))   # asks for the password if unset
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.errors import ConfigurationError
from ledger.paths import data_dir
from ledger.store.db import default_database_url

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
#: Unlocks the market's own keystores in development only (the demo, local tests).
DEVELOPMENT_PASSWORD = "freshledger-development"


class LedgerSettings(BaseSettings):
    """Where the data is, which chain and database, and the keystore password."""

    model_config = SettingsConfigDict(env_prefix="FRESHLEDGER_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default_factory=data_dir)
    #: Empty: the local node's URL from its record under the data directory, else the default.
    rpc_url: str = ""
    database_url: str = Field(default_factory=default_database_url)
    keystore_password: str | None = None

    @model_validator(mode="after")
    def _fill_rpc_url(self) -> LedgerSettings:
        if not self.rpc_url:
            self.rpc_url = _local_node_url(self.data_dir)
        return self

    @property
    def chain_dir(self) -> Path:
        """Where the local node keeps its state, pid and log."""
        return self.data_dir / "chain"

    @property
    def keystore_dir(self) -> Path:
        """The market's keystores (participants whose key the market holds)."""
        return self.data_dir / "keystores"

    def market_keystore_password(self) -> str:
        """The password of the keystores under :attr:`keystore_dir`: the configured one, else
        the development password; :class:`ConfigurationError` for that one in production."""
        password = self.keystore_password or DEVELOPMENT_PASSWORD
        if self.environment == "production" and password == DEVELOPMENT_PASSWORD:
            raise ConfigurationError("FRESHLEDGER_KEYSTORE_PASSWORD must be set outside development")
        return password

    def open_keystore(self, path: Path) -> LocalAccount:
        """The account in the keystore file `path` (e.g. a deployer's or a regulator's), unlocked
        with the configured password, else one asked on the terminal. Raises
        :class:`ConfigurationError` naming the file when it cannot be read or unlocked."""
        password = self.keystore_password or getpass.getpass("keystore password: ")
        try:
            return Account.from_key(Account.decrypt(json.loads(path.read_text()), password))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot open keystore {path}: {exc}") from None


def load_settings(rpc_url: str | None = None) -> LedgerSettings:
    """Settings from the environment; an explicit `rpc_url` wins."""
    return LedgerSettings(rpc_url=rpc_url) if rpc_url else LedgerSettings()


def _local_node_url(base: Path) -> str:
    try:
        return str(json.loads((base / "chain" / "node.json").read_text())["rpc_url"])
    except (OSError, ValueError, KeyError):
        return DEFAULT_RPC_URL
