"""Deploy the compiled FreshLedger contract to any JSON-RPC node and keep a deployment record.

The record (chain id, genesis hash, contract address, deploy block and transaction, ABI and
bytecode hashes) is what the rest of the system reads to find the contract. It lives under
the data directory, one file per chain id, and is trusted only while the node still
reports the same genesis block and has code at the address: a fresh local chain that reuses
chain id 31337 is not mistaken for the old one.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from ledger.chain.abi import ContractAbi
from ledger.chain.client import ChainClient
from ledger.chain.compile import build_artifact
from ledger.documents.atomic import write_atomic
from ledger.errors import DeploymentNotFound


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    genesis_hash: str
    address: str
    deploy_block: int
    tx_hash: str
    deployer: str
    authority: str
    abi_hash: str
    bytecode_hash: str
    deployed_at: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def record_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{chain_id}.json"


def deploy(client: ChainClient, deployer: LocalAccount, *, authority: str | None = None) -> Deployment:
    """Deploy FreshLedger with `authority` (default: the deployer) as the market authority."""
    artifact = json.loads(build_artifact().read_text())
    abi = ContractAbi(artifact["abi"])
    authority = authority or deployer.address
    data = bytes.fromhex(artifact["bytecode"].removeprefix("0x")) + abi.encode_constructor([authority])
    result = client.transact(deployer, to=None, data=data, abi=abi)
    if result.contract_address is None:
        raise DeploymentNotFound(f"deployment transaction {result.tx_hash} created no contract")
    return Deployment(
        chain_id=client.chain_id,
        genesis_hash=client.genesis_hash(),
        address=result.contract_address,
        deploy_block=result.block_number,
        tx_hash=result.tx_hash,
        deployer=deployer.address,
        authority=authority,
        abi_hash=abi.hash,
        bytecode_hash=hashlib.sha256(bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))).hexdigest(),
        deployed_at=int(time.time()),
    )


def save(deployment: Deployment, data_dir: Path) -> Path:
    path = record_path(data_dir, deployment.chain_id)
    write_atomic(path, [deployment.to_json().encode()])
    return path


def load(client: ChainClient, data_dir: Path) -> Deployment:
    """The recorded deployment on the chain `client` talks to; raises DeploymentNotFound when
    there is none, or when the chain is not the one it was recorded on."""
    path = record_path(data_dir, client.chain_id)
    if not path.exists():
        raise DeploymentNotFound(f"no deployment recorded for chain {client.chain_id} in {path.parent}")
    record = json.loads(path.read_text())
    if "transaction_hash" in record:  # a record written before the field took the index's name
        record["tx_hash"] = record.pop("transaction_hash")
    deployment = Deployment(**record)
    if client.genesis_hash() != deployment.genesis_hash:
        raise DeploymentNotFound(
            f"{path} was recorded on another chain with id {deployment.chain_id} (genesis differs)"
        )
    if not client.code_at(deployment.address):
        raise DeploymentNotFound(f"no contract code at {deployment.address}: the chain was reset")
    return deployment


def deploy_or_load(client: ChainClient, deployer: LocalAccount, data_dir: Path) -> tuple[Deployment, bool]:
    """The recorded deployment if it is still valid, else a new one; and whether it is new."""
    try:
        return load(client, data_dir), False
    except DeploymentNotFound:
        deployment = deploy(client, deployer)
        save(deployment, data_dir)
        return deployment, True
