"""``freshledger epcis``: GS1 EPCIS 2.0 documents from the command line.

freshledger epcis export [--lot LOT] [--gtin GTIN] [--since T] [--until T]   the document, to stdout
freshledger epcis validate FILE                                             schema + CBV, each bad field
freshledger epcis capture FILE [--account N | --keystore FILE]              record its events on-chain

``export`` reads the indexer's database (``--database-url`` or ``FRESHLEDGER_DATABASE_URL``):
a lot's whole lineage, every lot of a GTIN, or every event, with block time in
[``--since``, ``--until``). ``capture`` signs for one participant: a development account of
the local chain (``--account``, index 1-9; the local chain's keys are public) or an encrypted
keystore (``--keystore``, password from ``FRESHLEDGER_KEYSTORE_PASSWORD`` or a prompt); its
events' calls go through the write queue in the database (intents, like the API's capture),
and it prints each event's outcome as JSON. Exit status: 0 when every event was recorded or is
unsupported, 1 for an invalid document or a failed event.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ledger.epcis.validate import InvalidDocument, check_document, load_json, validate_document
from ledger.signers import command_signer

epcis_app = typer.Typer(help="GS1 EPCIS 2.0: export, validate and capture documents.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL of the indexer's database (default: FRESHLEDGER_DATABASE_URL)")
]


def _moment(value: str | None, option: str) -> int | None:
    """Unix seconds of an ISO 8601 date or date-time (UTC when no offset is given)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date or date-time", param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _read(file: Path) -> object:
    try:
        return load_json(file.read_bytes())
    except ValueError as exc:
        typer.echo(f"{file}: not JSON: {exc}", err=True)
        raise typer.Exit(1) from None


@epcis_app.command("export")
def export(
    lot: Annotated[str | None, typer.Option(help="a lot code: its whole lineage, both directions")] = None,
    gtin: Annotated[str | None, typer.Option(help="a GTIN: with --lot that lot only, alone every lot of it")] = None,
    since: Annotated[str | None, typer.Option(help="from this time on (ISO 8601, UTC by default)")] = None,
    until: Annotated[str | None, typer.Option(help="before this time (ISO 8601)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write an EPCIS 2.0 JSON-LD document of the ledger's events to stdout."""
    from ledger.epcis.export import export_document
    from ledger.gs1 import normalize_gtin
    from ledger.store.db import make_engine

    if gtin is not None:
        try:
            gtin = normalize_gtin(gtin)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--gtin") from None
    engine = make_engine(database_url)
    try:
        document = export_document(
            engine, lot=lot, gtin=gtin, since=_moment(since, "--since"), until=_moment(until, "--until")
        )
    finally:
        engine.dispose()
    try:
        check_document(document)  # the same check as GET /epcis/export
    except InvalidDocument as exc:  # a bug of the mapping, never the user's: say so instead of writing it
        typer.echo(f"the export does not validate: {exc.problems[0]}", err=True)
        raise typer.Exit(2) from None
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@epcis_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Check FILE against GS1's EPCIS 2.0 schema and CBV; print each bad field."""
    problems = validate_document(_read(file))
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: valid EPCIS 2.0")


@epcis_app.command("capture")
def capture(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="an EPCIS 2.0 document")],
    account: Annotated[int | None, typer.Option(help="development account index on the local chain")] = None,
    keystore: Annotated[Path | None, typer.Option(help="the participant's encrypted JSON keystore")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Record FILE's events on-chain for one participant; print each event's outcome."""
    from ledger.chain.client import ChainClient
    from ledger.chain.deploy import load
    from ledger.chain.freshledger import FreshLedgerContract
    from ledger.epcis.plan import PartyResolver, plan_events
    from ledger.epcis.queued import event_results, queue_plan
    from ledger.intents.local import queue_and_wait
    from ledger.queries.events import participants_with_identifier
    from ledger.settings import load_settings
    from ledger.store.db import make_engine, migrate

    document = _read(file)
    problems = validate_document(document)
    if problems:
        for problem in problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1)
    settings = load_settings(rpc_url)
    client = ChainClient(settings.rpc_url)
    signer = command_signer(account, keystore, client.chain_id, who="captures")
    ledger = FreshLedgerContract(client, load(client, settings.data_dir).address)
    # The write queue's database (default: SQLite under the data directory); GLNs resolve
    # through its indexed participants.
    engine = make_engine(database_url)
    try:
        migrate(engine)
        resolver = PartyResolver(lambda gln: participants_with_identifier(engine, gln))
        entries, intents = queue_plan(plan_events(document, resolver), ledger.abi)
        items = [(kind, intent.payload) for kind, intent in intents]
        final = queue_and_wait(engine, ledger, signer, items)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    for entry in entries:
        entry["intent_ids"] = [final[n].id for n in entry["intents"]]
    results, _running = event_results(entries, {i.id: i for i in final})
    typer.echo(json.dumps({"participant": signer.address, "events": results}, indent=2))
    if any(r["status"] == "failed" for r in results):
        raise typer.Exit(1)
