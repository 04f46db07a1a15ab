"""FreshLedger's errors, rooted at :class:`LedgerError`.

::

    LedgerError
    ├── ConfigurationError        settings or files are wrong; fix them, retrying won't help
    │   ├── CompilationError      the Solidity sources do not compile
    │   └── DeploymentNotFound    no deployment record for this chain
    │   └── ChainMismatch         the database mirrors another chain or contract than the node's
    ├── NodeError                 the local node could not be started, stopped or reached
    ├── IndexerError              the indexer cannot go on
    │   ├── ChainReorganised      the chain changed under a fetch (retryable: reconcile and retry)
    │   └── ReorgTooDeep          a reorg deeper than the kept block hashes: re-index from scratch
    └── TransactionError          a transaction did not do what was asked
        ├── ContractRevert        the contract refused: a named custom error and its arguments
        └── TransactionTimeout    not mined in time (retryable: the node may be slow)
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Root of every error FreshLedger raises on purpose."""

    retryable: bool = False


class ConfigurationError(LedgerError):
    """Settings, files or the environment are wrong."""


class CompilationError(ConfigurationError):
    """The Solidity sources do not compile."""


class DeploymentNotFound(ConfigurationError):
    """There is no deployment record for the chain the client is connected to."""


class ChainMismatch(ConfigurationError):
    """The node reports another chain (id or genesis) or contract than the database holds."""


class NodeError(LedgerError):
    """The local node could not be started, stopped or reached."""

    retryable = True


class IndexerError(LedgerError):
    """The indexer cannot go on."""


class ChainReorganised(IndexerError):
    """The chain changed while a range was being read; reconcile and read it again."""

    retryable = True


class ReorgTooDeep(IndexerError):
    """A reorg replaced blocks older than the indexer keeps hashes of."""


class TransactionError(LedgerError):
    """A transaction failed."""


class TransactionTimeout(TransactionError):
    """A transaction was not mined in time."""

    retryable = True


class ContractRevert(TransactionError):
    """The contract reverted with custom error `name` and decoded `args`.

    ``name`` is the Solidity error name (``"BatchQuarantined"``), ``args`` maps each
    parameter name to its decoded value.
    """

    def __init__(self, name: str, args: dict[str, Any], message: str | None = None) -> None:
        self.name = name
        self.args_by_name = args
        rendered = ", ".join(f"{key}={_show(value)}" for key, value in args.items())
        super().__init__(message or f"{name}({rendered})")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)
