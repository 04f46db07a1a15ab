"""``freshledger notice publish``: a regulator or the market authority publishes a notice.

freshledger notice publish --title-en T --body-en B --until 2026-12-31T18:00 --author ADDRESS
freshledger notice publish --title-zh T --body-zh B --hours 48 --keystore FILE --gtin G --lot L

The text (title and body in Korean, Chinese and/or English) is stored in the document store
of the data directory (or the IPFS node of ``$FRESHLEDGER_IPFS_API``) and its CID published
on-chain with the window, through the write queue of the indexer's database like every write;
``--gtin``/``--lot`` and ``--stall`` name what it concerns.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.documents import open_store
from ledger.errors import ConfigurationError, ContractRevert
from ledger.gs1 import normalize_gtin
from ledger.hexes import to_hex
from ledger.intents.local import queue_and_wait
from ledger.keys import KeyStore
from ledger.notices.text import MEDIA_TYPE, NoticeInvalid, NoticeText
from ledger.settings import LedgerSettings, load_settings
from ledger.store.db import make_engine, migrate

notice_app = typer.Typer(help="Notices of the regulator and the market authority.", no_args_is_help=True)

Text = Annotated[str | None, typer.Option()]


@notice_app.command("publish")
def publish(
    title_ko: Text = None,
    title_zh: Text = None,
    title_en: Text = None,
    body_ko: Text = None,
    body_zh: Text = None,
    body_en: Text = None,
    until: Annotated[str | None, typer.Option(help="end of the window, ISO 8601 (UTC unless an offset)")] = None,
    hours: Annotated[float | None, typer.Option(min=0.01, help="or: shown this many hours from now")] = None,
    gtin: Annotated[str | None, typer.Option(help="GTIN of the lot it concerns")] = None,
    lot: Annotated[str | None, typer.Option(help="code of the lot it concerns")] = None,
    stall: Annotated[str | None, typer.Option(help="address of the stall it concerns")] = None,
    author: Annotated[str | None, typer.Option(help="address whose key the market keeps")] = None,
    keystore: Annotated[Path | None, typer.Option(help="the author's encrypted JSON keystore")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL of the write queue's database (default: FRESHLEDGER_DATABASE_URL)"),
    ] = None,
) -> None:
    """Publish a notice now, shown until --until (or for --hours)."""
    titles = {k: v for k, v in (("ko", title_ko), ("zh", title_zh), ("en", title_en)) if v is not None}
    bodies = {k: v for k, v in (("ko", body_ko), ("zh", body_zh), ("en", body_en)) if v is not None}
    try:
        text = NoticeText.build(titles, bodies)
    except NoticeInvalid as exc:
        raise typer.BadParameter(str(exc), param_hint="--title-*/--body-*") from exc
    now = int(time.time())
    end = _end(now, until, hours)
    if (gtin is None) != (lot is None):
        raise typer.BadParameter("a lot is named by both --gtin and --lot", param_hint="--lot")
    batch_id = batch_id_of(_gtin(gtin), lot) if gtin is not None and lot is not None else None
    if stall is not None and not is_address(stall):
        raise typer.BadParameter(f"{stall!r} is not an address", param_hint="--stall")
    settings = load_settings(rpc_url)
    account = _author(settings, author, keystore)
    client = ChainClient(settings.rpc_url)
    contract = FreshLedgerContract(client, load_deployment(client, settings.data_dir).address)
    cid = open_store(settings.data_dir).put(text.document(), MEDIA_TYPE)
    payload = {
        "cid": to_hex(bytes(cid)),
        "valid_from": now,
        "valid_until": end,
        "batch_id": to_hex(batch_id) if batch_id is not None else None,
        "stall": to_checksum_address(stall) if stall else None,
    }
    engine = make_engine(database_url)
    try:
        migrate(engine)
        (intent,) = queue_and_wait(engine, contract, account, [("notice", payload)])
    finally:
        engine.dispose()
    if intent.status == "refused":
        error = intent.error or {}
        raise ContractRevert(error.get("name", "TransactionReverted"), error.get("args") or {}, error.get("message"))
    answer = {"cid": cid.encode("base32"), "transaction_hash": intent.tx_hash, "valid_until": end}
    typer.echo(json.dumps(answer))


def _end(now: int, until: str | None, hours: float | None) -> int:
    if (until is None) == (hours is None):
        raise typer.BadParameter("give either --until or --hours", param_hint="--until")
    if hours is not None:
        return now + int(hours * 3600)
    try:
        moment = datetime.fromisoformat(until or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--until") from exc
    end = int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    if end <= now:
        raise typer.BadParameter("the window is over already", param_hint="--until")
    return end


def _gtin(gtin: str | None) -> str:
    try:
        return normalize_gtin(gtin or "")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gtin") from exc


def _author(settings: LedgerSettings, address: str | None, keystore: Path | None) -> LocalAccount:
    if keystore is not None:
        try:
            return settings.open_keystore(keystore)
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc), param_hint="--keystore") from exc
    if address is None:
        raise typer.BadParameter("say who publishes: --author ADDRESS or --keystore FILE", param_hint="--author")
    return KeyStore(settings.keystore_dir, settings.market_keystore_password()).account(address)
