"""Deploy FreshLedger with brownie.

    brownie run scripts/deploy.py --network <id>      # or: make brownie-deploy NETWORK=<id>

Run it from the repository root with brownie's venv (.venv-brownie); `make brownie-deploy`
also puts the npm anvil on PATH and points py-solc-x at the solc-js shim.

Deployer:
  * development networks (brownie launches anvil, or attaches to a node already listening
    on the network's port: "development", "anvil", ...): ``accounts[0]``, an unlocked
    account of the node. ``--network anvil`` attaches to the chain of
    ``freshledger chain start`` on 127.0.0.1:8545.
  * any other network: from the environment, exactly one of
      FRESHLEDGER_DEPLOYER_KEY     the deployer's private key (hex), for ``accounts.add``;
      FRESHLEDGER_BROWNIE_ACCOUNT  the id of an account in brownie's keystore
                                   (``brownie accounts new <id>``), for ``accounts.load``,
                                   which asks for its password.

Market authority (constructor argument, holder of DEFAULT_ADMIN_ROLE):
  FRESHLEDGER_AUTHORITY (an address), else the deployer.

Prints the contract's address, block and transaction hash, and returns the contract.
"""

import os

from brownie import FreshLedger, accounts, network
from brownie.convert import to_address

#: Local networks whose accounts are unlocked and funded by the node.
DEVELOPMENT_NETWORKS = ("development", "anvil")


def is_development() -> bool:
    """Whether brownie runs a local node for the active network (launched or attached)."""
    return network.show_active() in DEVELOPMENT_NETWORKS or network.rpc.is_active()


def deployer():
    if is_development():
        return accounts[0]
    key = os.environ.get("FRESHLEDGER_DEPLOYER_KEY", "").strip()
    account_id = os.environ.get("FRESHLEDGER_BROWNIE_ACCOUNT", "").strip()
    if key and account_id:
        raise SystemExit("Set only one of FRESHLEDGER_DEPLOYER_KEY and FRESHLEDGER_BROWNIE_ACCOUNT.")
    if key:
        return accounts.add(key)
    if account_id:
        return accounts.load(account_id)
    raise SystemExit(
        f"No deployer for network '{network.show_active()}': set FRESHLEDGER_DEPLOYER_KEY (private key) "
        "or FRESHLEDGER_BROWNIE_ACCOUNT (id of an account in brownie's keystore)."
    )


def market_authority(default: str) -> str:
    value = os.environ.get("FRESHLEDGER_AUTHORITY", "").strip()
    if not value:
        return default
    try:
        return to_address(value)
    except ValueError:
        raise SystemExit(f"FRESHLEDGER_AUTHORITY is not an address: {value!r}") from None


def main():
    account = deployer()
    authority = market_authority(account.address)
    ledger = FreshLedger.deploy(authority, {"from": account})
    tx = ledger.tx
    print(f"FreshLedger deployed on '{network.show_active()}' (chain id {network.chain.id})")
    print(f"  address:   {ledger.address}")
    print(f"  block:     {tx.block_number}")
    print(f"  tx hash:   {tx.txid}")
    print(f"  deployer:  {account.address}")
    print(f"  authority: {authority}")
    return ledger
