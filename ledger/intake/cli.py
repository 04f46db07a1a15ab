"""``freshledger customs``: a declaration file from the command line.

freshledger customs check FILE                                  every problem, one a line
freshledger customs import FILE (--account N | --keystore FILE)  check, then record it

FILE is CSV, XLSX or JSON (by its suffix). The checks ask the chain itself (no database
needed): the importer by address or GLN, whether the declaration or a lot is recorded. The
``document`` column holds a CID, or the path of a file (relative to FILE's folder) that is
stored in the document store before the declaration is recorded. A problem prints as
``FILE:ROW: column: reason``; any problem exits 1 with nothing recorded.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ledger.chain.freshledger import FreshLedgerContract
from ledger.intake import cells
from ledger.intake.columns import MAX_FILE_BYTES
from ledger.intake.declaration import Declaration
from ledger.intake.problems import Problem

customs_app = typer.Typer(help="Customs declaration files: check and record them.", no_args_is_help=True)

DeclarationFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a declaration: .csv, .xlsx or .json")
]
RpcUrl = Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")]
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
        from ledger.documents import cid_of_file

        path = (self.folder / text).resolve()
        if not path.is_file():
            raise ValueError(f"neither a CID nor a file: {path} does not exist") from None
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"{path} is larger than {MAX_DOCUMENT_BYTES:,} bytes")
        cid = cid_of_file(path).encode("base32")
        self.files[cid] = path
        return cid

    def store(self, data_dir: Path) -> None:
        """Put every file named into the document store (its CID is the one checked)."""
        from ledger.documents import open_store
        from ledger.documents.store import DEFAULT_MEDIA_TYPE

        store = open_store(data_dir)
        for cid, path in self.files.items():
            stored = store.put(path.read_bytes(), mimetypes.guess_type(path.name)[0] or DEFAULT_MEDIA_TYPE)
            if stored.encode("base32") != cid:
                raise typer.BadParameter(f"{path} changed while the declaration was checked")


@dataclass(frozen=True)
class _Ledger:
    contract: FreshLedgerContract
    data_dir: Path
    deploy_block: int


def _connect(rpc_url: str | None) -> _Ledger:
    from ledger.chain.client import ChainClient
    from ledger.chain.deploy import load
    from ledger.settings import load_settings

    settings = load_settings(rpc_url)
    client = ChainClient(settings.rpc_url)
    deployment = load(client, settings.data_dir)
    return _Ledger(FreshLedgerContract(client, deployment.address), settings.data_dir, deployment.deploy_block)


def _checked(file: Path, ledger: _Ledger, documents: DocumentFiles) -> Declaration:
    """The declaration in FILE; prints each problem and exits 1 when there is any."""
    from ledger.intake import FileRefused, UnknownFormat, check_declaration, format_of_name, read_table
    from ledger.intake.chain_state import ChainState

    try:
        file_format = format_of_name(file)
    except UnknownFormat as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        _fail(file, [Problem(None, None, f"the file has {size:,} bytes, at most {MAX_FILE_BYTES:,} are read")])
    state = ChainState(ledger.contract, ledger.deploy_block)
    try:
        checked = check_declaration(read_table(file.read_bytes(), file_format), state, documents=documents)
    except FileRefused as exc:
        _fail(file, exc.problems)
    finally:
        state.close()
    if checked.value is None or checked.problems:
        _fail(file, checked.problems)
    return checked.value


def _fail(file: Path, problems: list[Problem]) -> NoReturn:
    for problem in problems:
        place = f"{file}:{problem.row}:" if problem.row is not None else f"{file}:"
        typer.echo(f"{place} {problem.column}: {problem.reason}" if problem.column else f"{place} {problem.reason}")
    count = len(problems)
    typer.echo(f"{file}: {count} problem{'s' if count != 1 else ''}; nothing recorded", err=True)
    raise typer.Exit(1)


@customs_app.command("check")
def check(file: DeclarationFile, rpc_url: RpcUrl = None) -> None:
    """Check FILE against the chain; print every problem (exit 1) or a summary."""
    declaration = _checked(file, _connect(rpc_url), DocumentFiles(file.parent))
    typer.echo(f"{file}: declaration {declaration.number} with {len(declaration.lines)} lines is ready to record")


@customs_app.command("import")
def import_declaration(
    file: DeclarationFile,
    account: Annotated[int | None, typer.Option(help="development account index on the local chain")] = None,
    keystore: Annotated[Path | None, typer.Option(help="the customs officer's encrypted JSON keystore")] = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Check FILE, then record every line for the customs officer signing; print the batches."""
    from ledger.intake import record_declaration
    from ledger.signers import command_signer

    ledger = _connect(rpc_url)
    customs = command_signer(account, keystore, ledger.contract.client.chain_id, who="signs")
    documents = DocumentFiles(file.parent)
    declaration = _checked(file, ledger, documents)
    documents.store(ledger.data_dir)
    recorded = record_declaration(ledger.contract, customs, declaration)
    for line, batch_id in zip(declaration.lines, recorded.batch_ids, strict=True):
        typer.echo(f"line {line.line}: lot {line.lot} of GTIN {line.gtin}: batch {batch_id}")
    typer.echo(
        f"declaration {declaration.number}: {len(recorded.batch_ids)} lines recorded "
        f"in blocks {recorded.first_block}-{recorded.last_block}"
    )
