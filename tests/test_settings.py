"""LedgerSettings (the core's) and ApiSettings (extending them): one settings object, the
keystore password read in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import ValidationError

from api.settings import ApiSettings
from ledger.chain.accounts import dev_account
from ledger.errors import ConfigurationError
from ledger.settings import DEFAULT_RPC_URL, DEVELOPMENT_PASSWORD, LedgerSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RPC_URL", "KEYSTORE_PASSWORD", "ENVIRONMENT", "DATABASE_URL"):
        monkeypatch.delenv(f"FRESHLEDGER_{name}", raising=False)


def test_rpc_url_is_the_local_nodes_record_else_the_default(tmp_path: Path) -> None:
    assert LedgerSettings(data_dir=tmp_path).rpc_url == DEFAULT_RPC_URL
    (tmp_path / "chain").mkdir()
    (tmp_path / "chain" / "node.json").write_text(json.dumps({"rpc_url": "http://127.0.0.1:9999"}))
    assert LedgerSettings(data_dir=tmp_path).rpc_url == "http://127.0.0.1:9999"
    assert LedgerSettings(data_dir=tmp_path, rpc_url="http://node:8545").rpc_url == "http://node:8545"


def test_settings_read_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHLEDGER_RPC_URL", "http://chain.example:8545")
    monkeypatch.setenv("FRESHLEDGER_KEYSTORE_PASSWORD", "correct horse")
    settings = ApiSettings(data_dir=tmp_path)
    assert (settings.rpc_url, settings.keystore_password) == ("http://chain.example:8545", "correct horse")
    assert settings.keystore_dir == tmp_path / "keystores"


def test_market_keystores_use_the_development_password_only_in_development(tmp_path: Path) -> None:
    assert LedgerSettings(data_dir=tmp_path).market_keystore_password() == DEVELOPMENT_PASSWORD
    production = LedgerSettings(data_dir=tmp_path, environment="production")
    with pytest.raises(ConfigurationError, match="FRESHLEDGER_KEYSTORE_PASSWORD must be set"):
        production.market_keystore_password()
    for password in (None, DEVELOPMENT_PASSWORD):
        with pytest.raises(ValidationError, match="FRESHLEDGER_KEYSTORE_PASSWORD must be set"):
            ApiSettings(data_dir=tmp_path, environment="production", keystore_password=password)
    api = ApiSettings(data_dir=tmp_path, environment="production", keystore_password="s3cret")
    assert api.market_keystore_password() == "s3cret"


def test_open_keystore_unlocks_with_the_configured_password(tmp_path: Path) -> None:
    keystore = tmp_path / "regulator.json"
    keystore.write_text(json.dumps(Account.encrypt(dev_account(3).key, "correct horse")))
    account = LedgerSettings(data_dir=tmp_path, keystore_password="correct horse").open_keystore(keystore)
    assert account.address == dev_account(3).address
    with pytest.raises(ConfigurationError, match="cannot open keystore"):
        LedgerSettings(data_dir=tmp_path, keystore_password="wrong").open_keystore(keystore)
    with pytest.raises(ConfigurationError, match="cannot open keystore"):
        LedgerSettings(data_dir=tmp_path, keystore_password="x").open_keystore(tmp_path / "missing.json")
