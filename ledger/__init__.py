"""FreshLedger's Python core: the write path to the chain (``ledger.chain``); the read path's
indexer, store and queries live in their own subpackages.

The names below are the public surface; everything else may change without notice.
"""

from ledger.chain.abi import ContractAbi
from ledger.chain.client import ChainClient, TxResult
from ledger.chain.deploy import Deployment, deploy, deploy_or_load
from ledger.chain.events import ChainEvent
from ledger.chain.freshledger import BatchState, FreshLedgerContract, batch_id_of, sale_id_of
from ledger.chain.node import LocalNode
from ledger.errors import (
    CompilationError,
    ConfigurationError,
    ContractRevert,
    DeploymentNotFound,
    LedgerError,
    NodeError,
    TransactionError,
    TransactionTimeout,
)
from ledger.vocabulary import Residue

__all__ = [
    "BatchState",
    "ChainClient",
    "ChainEvent",
    "CompilationError",
    "ConfigurationError",
    "ContractAbi",
    "ContractRevert",
    "Deployment",
    "DeploymentNotFound",
    "FreshLedgerContract",
    "LedgerError",
    "LocalNode",
    "NodeError",
    "Residue",
    "TransactionError",
    "TransactionTimeout",
    "TxResult",
    "batch_id_of",
    "deploy",
    "deploy_or_load",
    "sale_id_of",
]
