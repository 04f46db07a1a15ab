"""``freshledger recall``: a regulator recalls a lot and everything made from it.

freshledger recall --gtin G --lot L --reason R --regulator ADDRESS   key from the market's keystores
freshledger recall --gtin G --lot L --reason R --keystore FILE       key from an eth-account keystore

The lot is traced forward in the indexer's database (``--database-url``), every affected
batch is recalled on-chain (``--rpc-url``) in as few transactions as fit the block gas
limit (``--max-gas`` caps one transaction instead), and the transactions, stalls and sales
are printed (``--json`` for a machine). The transactions go through the write queue in that
database (one ``recall`` intent a transaction), like the API's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ledger.chain.client import GAS_MARGIN, ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.errors import ConfigurationError, ContractRevert, NotFound
from ledger.gs1 import normalize_gtin
from ledger.hexes import from_hex, to_hex
from ledger.intents.local import queue_and_wait
from ledger.intents.settings import QueueSettings
from ledger.keys import KeyStore
from ledger.queries import trace_forward
from ledger.queries.views import TraceResult
from ledger.recall.lot import LotRecall, lot_recall_json, lot_recall_of, traced_batch_ids
from ledger.recall.onchain import RecallSender
from ledger.recall.queued import chunk_payloads, outcome_of
from ledger.settings import LedgerSettings, load_settings
from ledger.store.db import make_engine, migrate


def recall(
    gtin: Annotated[str, typer.Option(help="the lot's GTIN")],
    lot: Annotated[str, typer.Option(help="the lot code (GS1 AI 10)")],
    reason: Annotated[str, typer.Option(help="why, as shoppers and stalls will read it")],
    regulator: Annotated[
        str | None, typer.Option(help="regulator address whose key the market keeps (data directory keystores)")
    ] = None,
    keystore: Annotated[Path | None, typer.Option(help="the regulator's encrypted JSON keystore")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the indexer's database (default: SQLite)")
    ] = None,
    max_gas: Annotated[
        int | None, typer.Option(min=1, help="gas cap of one transaction (default: half a block)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Recall a lot: trace it forward, recall every affected batch, list stalls and sales."""
    if not reason.strip():
        raise typer.BadParameter("a recall needs a reason", param_hint="--reason")
    try:
        gtin = normalize_gtin(gtin)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gtin") from exc
    settings = load_settings(rpc_url)
    account = _regulator(settings, regulator, keystore)
    client = ChainClient(settings.rpc_url)
    contract = FreshLedgerContract(client, load_deployment(client, settings.data_dir).address)
    engine = make_engine(database_url)
    try:
        migrate(engine)
        try:
            trace = trace_forward(engine, to_hex(batch_id_of(gtin, lot)))
        except NotFound:
            raise NotFound(f"no lot {lot} of GTIN {gtin} is in the indexed database") from None
        result = _recall_queued(engine, contract, account, trace, reason, max_gas)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(lot_recall_json(result), indent=2, ensure_ascii=False))
    else:
        _print(Console(), result)


def _recall_queued(
    engine: Engine,
    contract: FreshLedgerContract,
    account: LocalAccount,
    trace: TraceResult,
    reason: str,
    max_gas: int | None,
) -> LotRecall:
    """Plan (a refusal raises before anything is stored), queue one ``recall`` intent per
    chunk, wait until they are recorded; the first refusal raises with the contract's error."""
    ids = [from_hex(b, size=32) for b in traced_batch_ids(trace)]
    plan = RecallSender(contract, account).plan(ids, reason, max_gas=max_gas)
    payloads = chunk_payloads(plan, reason)
    # Chunks never pack beyond the plan's gas budget: the submitter bounds the estimate, the
    # transaction's gas limit is the estimate with the margin.
    settings = QueueSettings(idle_exit_s=1.0, max_gas=int(plan.budget / GAS_MARGIN))
    intents = queue_and_wait(engine, contract, account, [("recall", p) for p in payloads], settings=settings)
    refused = next((i for i in intents if i.status == "refused"), None)
    if refused is not None:
        error = refused.error or {}
        raise ContractRevert(error.get("name", "TransactionReverted"), error.get("args") or {}, error.get("message"))
    return lot_recall_of(trace, reason, outcome_of(plan, intents, contract.client))


def _print(console: Console, result: LotRecall) -> None:
    console.print(
        f"lot {result.lot} (GTIN {result.gtin}): {len(result.recalled_batch_ids)} batch(es) recalled in "
        f"{len(result.tx_hashes)} transaction(s), {len(result.already_recalled_batch_ids)} already recalled; "
        f"traced as of block {result.as_of_block}"
    )
    for tx in result.outcome.transactions:
        console.print(f"  {tx.tx_hash} block {tx.block_number}: {len(tx.batch_ids)} batch(es), gas {tx.gas_used:,}")
    table = Table(title="Affected sales")
    for column in ("sale", "lot", "stall", "quantity"):
        table.add_column(column)
    for sale in result.sales:
        table.add_row(sale.sale_id, sale.lot, sale.vendor.name or sale.vendor.address, f"{sale.quantity} {sale.unit}")
    console.print(table)
    stalls = ", ".join(p.name or p.address for p in result.stalls) or "none"
    console.print(f"stalls: {stalls}")


def _regulator(settings: LedgerSettings, address: str | None, keystore: Path | None) -> LocalAccount:
    if keystore is not None:
        try:
            return settings.open_keystore(keystore)
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc), param_hint="--keystore") from exc
    if address is None:
        raise typer.BadParameter("say who recalls: --regulator ADDRESS or --keystore FILE", param_hint="--regulator")
    return KeyStore(settings.keystore_dir, settings.market_keystore_password()).account(address)
