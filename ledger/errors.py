"""FreshLedger's errors, rooted at :class:`LedgerError`.

::

    LedgerError
    ├── ConfigurationError        settings or files are wrong; fix them, retrying won't help
    │   ├── CompilationError      the Solidity sources do not compile
    │   └── DeploymentNotFound    no deployment record for this chain
    │   └── ChainMismatch         the database mirrors another chain or contract than the node's
    ├── DocumentError             a document could not be stored, found or trusted
    │   ├── InvalidCid            not a CID, or not one FreshLedger makes (CIDv1, sha2-256, raw / dag-pb)
    │   ├── DocumentNotFound      no document with this CID in the store
    │   ├── DocumentIntegrityError  the bytes do not hash to the CID asked for (tampered or corrupt)
    │   │   └── CidMismatch       the IPFS node made another CID than FreshLedger computes
    │   └── IpfsNodeError         the IPFS node could not be reached or refused (retryable)
    ├── NodeError                 the local node could not be started, stopped or reached
    ├── IndexerError              the indexer cannot go on
    │   ├── ChainReorganised      the chain changed under a fetch (retryable: reconcile and retry)
    │   └── ReorgTooDeep          a reorg deeper than the kept block hashes: re-index from scratch
    ├── NotFound                  a query names a batch, sale or participant the ledger does not know
    └── TransactionError          a transaction did not do what was asked
        ├── ContractRevert        the contract refused: a named custom error and its arguments
        └── TransactionTimeout    not mined in time (retryable: the node may be slow)
"""

from __future__ import annotations

from typing import Any

from ledger.hexes import to_hex


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


class DocumentError(LedgerError):
    """A document could not be stored, found or trusted."""


class InvalidCid(DocumentError):
    """The text or bytes are not a CID, or not one FreshLedger makes (CIDv1, sha2-256, raw or dag-pb)."""


class DocumentNotFound(DocumentError):
    """The store holds no document with this CID."""

    def __init__(self, cid: object, detail: str = "") -> None:
        self.cid = str(cid)
        super().__init__(f"no document {self.cid}{': ' + detail if detail else ''}")


class DocumentIntegrityError(DocumentError):
    """The bytes held for `cid` hash to `actual`: the copy was tampered with or is corrupt."""

    def __init__(self, cid: object, actual: object, message: str | None = None) -> None:
        self.cid = str(cid)
        self.actual = str(actual)
        super().__init__(message or f"document {self.cid} fails verification: its bytes hash to {self.actual}")


class CidMismatch(DocumentIntegrityError):
    """The IPFS node made CID `actual` for a document FreshLedger computes as `cid`.

    The node imports with other settings (chunker, hash, raw leaves, CID version, layout);
    nothing may go on-chain until the two agree.
    """

    def __init__(self, cid: object, actual: object) -> None:
        super().__init__(
            cid,
            actual,
            f"the IPFS node made CID {actual} for a document FreshLedger computes as {cid}: "
            "the node imports with other settings, so the CID must not be recorded",
        )


class IpfsNodeError(DocumentError):
    """The IPFS node could not be reached, timed out or refused a request."""

    retryable = True


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


class NotFound(LedgerError):
    """A query names a batch, sale or participant the ledger does not know."""


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
        return to_hex(value)
    return repr(value) if isinstance(value, str) else str(value)
