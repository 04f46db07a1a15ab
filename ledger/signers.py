"""Who signs a command's transactions: a development account of the local chain
(``--account N``, whose keys are public) or an encrypted keystore (``--keystore FILE``,
password from ``FRESHLEDGER_KEYSTORE_PASSWORD`` or a prompt)."""

from __future__ import annotations

from pathlib import Path

import typer
from eth_account.signers.local import LocalAccount

from ledger.errors import ConfigurationError
from ledger.settings import load_settings


def command_signer(account: int | None, keystore: Path | None, chain_id: int, *, who: str = "signs") -> LocalAccount:
    """The account of ``--account`` or ``--keystore``; typer.BadParameter naming the option."""
    from ledger.chain.accounts import dev_account
    from ledger.chain.node import LOCAL_CHAIN_ID

    if keystore is not None:
        try:
            return load_settings().open_keystore(keystore)
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc), param_hint="--keystore") from None
    if account is None:
        raise typer.BadParameter(f"say who {who}: --account N (local chain) or --keystore FILE")
    if chain_id != LOCAL_CHAIN_ID:
        raise typer.BadParameter(f"chain {chain_id} is not the local chain: pass --keystore", param_hint="--account")
    try:
        return dev_account(account)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--account") from None
