"""``freshledger docs``: documents by content address, from the command line.

freshledger docs cid FILE                  the CID of FILE, nothing stored
freshledger docs put FILE [--media-type T] store FILE, print its CID
freshledger docs get CID [-o FILE]         the verified bytes, to stdout or FILE
freshledger docs verify CID                re-hash the stored copy and compare

The store is the one :func:`~ledger.documents.backends.open_store` picks (the local folder,
or the IPFS node in ``$FRESHLEDGER_IPFS_API``). CIDs are printed alone on a line, so
``cid=$(freshledger docs put declaration.pdf)`` works.
"""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.documents.atomic import write_atomic
from ledger.documents.backends import open_store
from ledger.documents.cid import cid_of_file
from ledger.documents.store import DEFAULT_MEDIA_TYPE, check_media_type

docs_app = typer.Typer(help="Documents by content address (IPFS-compatible CIDs).", no_args_is_help=True)

ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the document")]


@docs_app.command("cid")
def docs_cid(file: ExistingFile) -> None:
    """Print the CID of FILE without storing it."""
    typer.echo(str(cid_of_file(file)))


@docs_app.command("put")
def docs_put(
    file: ExistingFile,
    media_type: Annotated[
        str | None, typer.Option("--media-type", help="e.g. application/pdf (default: guessed from the name)")
    ] = None,
) -> None:
    """Store FILE and print its CID."""
    chosen = media_type or mimetypes.guess_type(file.name)[0] or DEFAULT_MEDIA_TYPE
    try:
        chosen = check_media_type(chosen)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--media-type") from exc
    typer.echo(str(open_store().put(file.read_bytes(), chosen)))


@docs_app.command("get")
def docs_get(
    cid: Annotated[str, typer.Argument(help="the document's CID")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Write the document's bytes, verified against CID, to stdout (or --output)."""
    data = open_store().get(cid)
    if output is not None:
        write_atomic(output, [data])
        return
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@docs_app.command("verify")
def docs_verify(cid: Annotated[str, typer.Argument(help="the document's CID")]) -> None:
    """Re-hash the stored copy of CID; exit 1 when it does not match."""
    info = open_store().verify(cid)
    typer.echo(f"ok {info.cid} {info.media_type} {info.size} bytes")
