"""A declaration file on disk, checked against the chain and recorded through the write
queue: what ``freshledger customs import`` does (and the demo, which records its import
this way).

The ``document`` column holds a CID, or the path of a file (relative to the declaration's
folder) that is hashed while the declaration is checked and put in the document store
before the declaration is queued, so that the CID recorded names a document the store has.
The declaration's intents are stored in the queue's database and submitted by a submitter
this process runs until they are final (:func:`ledger.intents.local.submit_and_wait`); when
a run was killed while it waited, its intents stay queued and running the same import again
waits for them (:func:`ledger.intake.queued.pending_parts`).

Example::

    declaration, recorded = import_declaration_file(
        Path("declaration.csv"), ledger, customs, engine=engine, deploy_block=deployment.deploy_block,
        store=open_store(),
    )
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.freshledger import FreshLedgerContract
from ledger.documents import DocumentStore, cid_of_file
from ledger.documents.store import DEFAULT_MEDIA_TYPE
from ledger.errors import FilePending
from ledger.intake import cells
from ledger.intake.chain_state import ChainState
from ledger.intake.checks import Checked
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.declaration import DeclarationFile, check_declaration
from ledger.intake.problems import FileRefused, Problem
from ledger.intake.queued import pending_parts, queue_declaration
from ledger.intake.read import format_of_name, read_table
from ledger.intake.recorded import FileRecorded, recorded_file
from ledger.intents.local import submit_and_wait
from ledger.intents.settings import QueueSettings

#: A document named by path is read whole to hash it; as the API's upload bound.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


@dataclass
class DocumentFiles:
    """The ``document`` cell as a CID, or as a file's path (hashed now, stored later)."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)

    def __call__(self, text: str) -> str:
        try:
            return cells.cid(text)
        except ValueError:
            pass
        path = (self.folder / text).resolve()
        if not path.is_file():
            raise ValueError(f"neither a CID nor a file: {path} does not exist") from None
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"{path} is larger than {MAX_DOCUMENT_BYTES:,} bytes")
        cid = cid_of_file(path).encode("base32")
        self.files[cid] = path
        return cid

    def store(self, store: DocumentStore) -> None:
        """Put every file named into `store`; ValueError if one changed since it was hashed."""
        for cid, path in self.files.items():
            stored = store.put(path.read_bytes(), mimetypes.guess_type(path.name)[0] or DEFAULT_MEDIA_TYPE)
            if stored.encode("base32") != cid:
                raise ValueError(f"{path} changed while the declaration was checked")


def check_declaration_file(
    file: Path, ledger: FreshLedgerContract, deploy_block: int, documents: DocumentFiles
) -> Checked[DeclarationFile]:
    """Read and check `file` (its format by its suffix) against the chain.

    Raises :class:`ledger.intake.UnknownFormat` for an unknown suffix and
    :class:`FileRefused` for a file that cannot be read as a table.
    """
    file_format = format_of_name(file)
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileRefused([Problem(None, None, f"the file has {size:,} bytes, at most {MAX_FILE_BYTES:,} are read")])
    state = ChainState(ledger, deploy_block)
    try:
        return check_declaration(read_table(file.read_bytes(), file_format), state, documents=documents)
    finally:
        state.close()


def import_declaration_file(
    file: Path,
    ledger: FreshLedgerContract,
    customs: LocalAccount,
    *,
    engine: Engine,
    deploy_block: int,
    store: DocumentStore | None,
    settings: QueueSettings | None = None,
) -> tuple[DeclarationFile, FileRecorded]:
    """Check `file`, store the documents it names by path in `store` (None: only their CIDs
    are recorded), queue it for `customs` in `engine`'s write queue and wait until it is
    recorded.

    Raises :class:`FileRefused` with every problem when the file does not check (nothing is
    queued); what :func:`queue_declaration` raises (nothing queued); and what
    :func:`recorded_file` raises when the chain refused a part (``RecordingInterrupted``
    when lines were recorded before it).
    """
    documents = DocumentFiles(file.parent)
    checked = check_declaration_file(file, ledger, deploy_block, documents)
    if checked.value is None or checked.problems:
        raise FileRefused(checked.problems)
    if store is not None:
        documents.store(store)
    return checked.value, record_queued(engine, ledger, customs, checked.value, settings=settings)


def record_queued(
    engine: Engine,
    ledger: FreshLedgerContract,
    customs: LocalAccount,
    declaration: DeclarationFile,
    *,
    settings: QueueSettings | None = None,
) -> FileRecorded:
    """Queue `declaration` (or wait for this very declaration queued by a run that died),
    submit it and return what was recorded; see :func:`import_declaration_file`."""
    try:
        queued = queue_declaration(engine, ledger, customs.address, declaration)
    except FilePending as exc:
        adopted = pending_parts(engine, customs.address, declaration, exc.intent_ids)
        if adopted is None:
            raise
        queued = adopted
    final = submit_and_wait(engine, ledger, customs, queued.ids, settings=settings)
    recorded = recorded_file(queued, {i.id: i for i in final}, ledger.abi)
    if recorded is None:  # submit_and_wait returns them final or raises
        raise AssertionError("intents returned unfinished")
    return recorded
