"""FreshLedger's errors, rooted at :class:`LedgerError`.

::

    LedgerError
    ├── ConfigurationError        settings or files are wrong; fix them, retrying won't help
    │   ├── CompilationError      the Solidity sources do not compile
    │   └── DeploymentNotFound    no deployment record for this chain
    │   └── ChainMismatch         the database mirrors another chain or contract than the node's
    │   └── WebhookKeyError       the key sealing webhook secrets is missing, too open or wrong
    ├── DocumentError             a document could not be stored, found or trusted
    │   ├── InvalidCid            not a CID, or not one FreshLedger makes (CIDv1, sha2-256, raw / dag-pb)
    │   ├── DocumentNotFound      no document with this CID in the store
    │   ├── DocumentIntegrityError  the bytes do not hash to the CID asked for (tampered or corrupt)
    │   │   └── CidMismatch       the IPFS node made another CID than FreshLedger computes
    │   ├── MediaTypeFixed        the document is stored with another media type, which it keeps
    │   └── IpfsNodeError         the IPFS node could not be reached or refused (retryable)
    ├── NodeError                 the local node could not be started, stopped or reached
    ├── IndexerError              the indexer cannot go on
    │   ├── ChainReorganised      the chain changed under a fetch (retryable: reconcile and retry)
    │   └── ReorgTooDeep          a reorg deeper than the kept block hashes: re-index from scratch
    ├── NotFound                  a query names a batch, sale or participant the ledger does not know
    ├── FileRefused               a declaration file or harvest sheet cannot be read as a table at all
    ├── FilePending               the declaration (or lots) of a file is in the write queue already
    ├── WebhookTargetRefused      a webhook URL points where the notifier may not connect
    └── TransactionError          a transaction did not do what was asked
        ├── ContractRevert        the contract refused: a named custom error and its arguments
        ├── TransactionTimeout    not mined in time (retryable: the node may be slow)
        ├── LineRefused           the contract refused one row of a file; nothing of the file is recorded
        └── RecordingInterrupted  a file recorded in several calls stopped part-way (send it again)
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


class MediaTypeFixed(DocumentError):
    """Document `cid` is stored as `stored`; a later upload of the same bytes asked for `asked`.

    A document keeps the media type of its first upload, so nobody can re-label someone
    else's document (the CID covers the bytes alone).
    """

    def __init__(self, cid: object, stored: str, asked: str) -> None:
        self.cid = str(cid)
        self.stored = stored
        self.asked = asked
        super().__init__(
            f"document {self.cid} is stored as {stored}; a document keeps the media type of its first upload "
            f"(asked: {asked})"
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


class WebhookKeyError(ConfigurationError):
    """The key that seals webhook secrets is missing, unreadable, too open or not the one
    the secrets were sealed with."""


class WebhookTargetRefused(LedgerError):
    """A webhook URL's host is (or resolves to) an address the notifier may not connect to."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(reason)


class NotFound(LedgerError):
    """A query names a batch, sale or participant the ledger does not know."""


class FileRefused(LedgerError):
    """A file cannot be read as a table at all (too large, not UTF-8, not XLSX, no header);
    ``problems`` (:class:`ledger.intake.Problem`) say why. Problems of single cells are not
    raised: the checks collect them all."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:3]))


class FilePending(LedgerError):
    """What a file would record is in the write queue already, not yet recorded or refused:
    the same declaration (`number`) or lots (`lots`) sent again meanwhile. `intent_ids` are the
    queued intents; nothing of the file was queued again."""

    def __init__(self, intent_ids: list[int], *, number: str | None = None, lots: list[str] | None = None) -> None:
        self.intent_ids = intent_ids
        self.number = number
        self.lots = lots or []
        first = intent_ids[0] if intent_ids else None
        if number is not None:
            what = f"declaration {number} is in the write queue already (intent {first})"
        else:
            shown = ", ".join(self.lots[:3]) + (" ..." if len(self.lots) > 3 else "")
            count = len(self.lots)
            what = f"{count} lot{'s are' if count != 1 else ' is'} in the write queue already ({shown}; intent {first})"
        super().__init__(f"{what}; wait for it (GET /intents/{first}) instead of sending the file again")


class TransactionError(LedgerError):
    """A transaction failed."""


class TransactionTimeout(TransactionError):
    """A transaction was not mined in time."""

    retryable = True


class LineRefused(TransactionError):
    """The contract refused the line (or lot) on row `row` of a file, `cause` saying why
    (the single call's error: ``cause.inner`` of a batch call's refusal); nothing of the file
    is recorded."""

    def __init__(self, row: int, cause: ContractRevert) -> None:
        self.row = row
        self.cause = cause
        super().__init__(f"row {row}: {cause.inner or cause}")


class RecordingInterrupted(TransactionError):
    """Recording a file in several calls stopped after `recorded` (batch ids, in line order)
    were mined; `row` is the row the chain refused (None when the node went away or the
    refusal names no row), `cause` is why. A declaration continues where it stopped when the
    same file is sent again."""

    def __init__(self, row: int | None, recorded: list[str], cause: LedgerError) -> None:
        self.row = row
        self.recorded = recorded
        self.cause = cause
        where = f" at row {row}" if row is not None else ""
        super().__init__(f"recording stopped{where} after {len(recorded)} lines were recorded: {cause}")


class ContractRevert(TransactionError):
    """The contract reverted with custom error `name` and decoded `args`.

    ``name`` is the Solidity error name (``"BatchQuarantined"``), ``args`` maps each
    parameter name to its decoded value. A batch call that refuses one of its items
    (``ImportLineInvalid(index, reason)`` and the like) carries the single call's error for
    that item, decoded, as ``inner``; ``index`` is the item's.
    """

    def __init__(
        self, name: str, args: dict[str, Any], message: str | None = None, *, inner: ContractRevert | None = None
    ) -> None:
        self.name = name
        self.args_by_name = args
        self.inner = inner
        if inner is not None:
            rendered = f"index={args.get('index')}): {inner}"
            super().__init__(message or f"{name}({rendered}")
            return
        rendered = ", ".join(f"{key}={_show(value)}" for key, value in args.items())
        super().__init__(message or f"{name}({rendered})")

    @property
    def index(self) -> int | None:
        """The refused item's index, for the errors of the batch calls that name one."""
        return self.args_by_name.get("index") if self.inner is not None else None


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return to_hex(value)
    return repr(value) if isinstance(value, str) else str(value)
