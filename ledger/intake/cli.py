"""``freshledger customs``: a declaration file from the command line.

freshledger customs check FILE                                  every problem, one a line
freshledger customs import FILE (--account N | --keystore FILE)  check, then record it

FILE is CSV, XLSX or JSON (by its suffix). The checks ask the chain itself (no database
needed): the importer by address or GLN, whether the declaration or a lot is recorded. The
``document`` column holds a CID, or the path of a file (relative to FILE's folder) that is
stored in the document store before the declaration is recorded. A problem prints as
``FILE:ROW: column: reason``; any problem exits 1 with nothing recorded.

The declaration goes through the write queue, like every write: its ``registerImports``
calls (one, or several under its number when it has more lines than one carries) are
stored as intents in the queue's database (``--database-url``; default: SQLite under the
data directory) and submitted by this command until they are recorded. A run killed while
it waits leaves them queued: running the same import again waits for them (or the API's
submitter sends them, when it holds the same key). A declaration the chain refused part-way
is finished by the same file, corrected, imported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ledger.chain.freshledger import FreshLedgerContract
from ledger.intake.problems import Problem

if TYPE_CHECKING:
    from ledger.intake.declaration import DeclarationFile
    from ledger.intake.declaration_files import DocumentFiles

customs_app = typer.Typer(help="Customs declaration files: check and record them.", no_args_is_help=True)

DeclarationPath = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a declaration: .csv, .xlsx or .json")
]
RpcUrl = Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")]
DatabaseUrl = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL of the write queue's database (default: FRESHLEDGER_DATABASE_URL)")
]


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


def _checked(file: Path, ledger: _Ledger, documents: DocumentFiles) -> DeclarationFile:
    """The declaration in FILE; prints each problem and exits 1 when there is any."""
    from ledger.intake import FileRefused, UnknownFormat
    from ledger.intake.declaration_files import check_declaration_file

    try:
        checked = check_declaration_file(file, ledger.contract, ledger.deploy_block, documents)
    except UnknownFormat as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None
    except FileRefused as exc:
        _fail(file, exc.problems)
    if checked.value is None or checked.problems:
        _fail(file, checked.problems)
    return checked.value


def _fail(file: Path, problems: list[Problem], summary: str = "nothing recorded") -> NoReturn:
    for problem in problems:
        place = f"{file}:{problem.row}:" if problem.row is not None else f"{file}:"
        typer.echo(f"{place} {problem.column}: {problem.reason}" if problem.column else f"{place} {problem.reason}")
    count = len(problems)
    typer.echo(f"{file}: {count} problem{'s' if count != 1 else ''}; {summary}", err=True)
    raise typer.Exit(1)


@customs_app.command("check")
def check(file: DeclarationPath, rpc_url: RpcUrl = None) -> None:
    """Check FILE against the chain; print every problem (exit 1) or a summary."""
    from ledger.intake.declaration_files import DocumentFiles

    declaration = _checked(file, _connect(rpc_url), DocumentFiles(file.parent))
    typer.echo(f"{file}: declaration {declaration.number} with {len(declaration.lines)} lines is ready to record")


@customs_app.command("import")
def import_declaration(
    file: DeclarationPath,
    account: Annotated[int | None, typer.Option(help="development account index on the local chain")] = None,
    keystore: Annotated[Path | None, typer.Option(help="the customs officer's encrypted JSON keystore")] = None,
    rpc_url: RpcUrl = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Check FILE, then record every line for the customs officer signing; print the batches."""
    from ledger.documents import open_store
    from ledger.errors import FilePending, LineRefused, RecordingInterrupted
    from ledger.intake.declaration_files import DocumentFiles, record_queued
    from ledger.signers import command_signer
    from ledger.store.db import make_engine, migrate

    ledger = _connect(rpc_url)
    customs = command_signer(account, keystore, ledger.contract.client.chain_id, who="signs")
    documents = DocumentFiles(file.parent)
    declaration = _checked(file, ledger, documents)
    try:
        documents.store(open_store(ledger.data_dir))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None
    engine = make_engine(database_url)
    try:
        migrate(engine)
        recorded = record_queued(engine, ledger.contract, customs, declaration)
    except LineRefused as exc:
        _fail(file, [Problem(exc.row, None, f"refused by the contract: {exc.cause.inner or exc.cause}")])
    except FilePending as exc:
        _fail(file, [Problem(None, None, str(exc))], "nothing queued again")
    except RecordingInterrupted as exc:
        row = [Problem(exc.row, None, f"refused by the contract: {exc.cause}")] if exc.row is not None else []
        typer.echo(str(exc), err=True)
        _fail(
            file,
            row,
            f"declaration {declaration.number} is partly recorded ({len(exc.recorded)} of "
            f"{len(declaration.lines)} lines); import the same file (corrected) again to finish it",
        )
    finally:
        engine.dispose()
    for line, batch_id in zip(declaration.lines, recorded.batch_ids, strict=True):
        typer.echo(f"line {line.line}: lot {line.lot} of GTIN {line.gtin}: batch {batch_id}")
    calls = len(recorded.transactions)
    resumed = f", continuing after line {recorded.resumed_at}" if recorded.resumed_at else ""
    typer.echo(
        f"declaration {declaration.number}: {len(recorded.batch_ids)} lines recorded in blocks "
        f"{recorded.first_block}-{recorded.last_block} ({calls} transaction{'s' if calls != 1 else ''}{resumed})"
    )
