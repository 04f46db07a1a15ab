"""`freshledger demo`, serving part: index the demo market, serve the API, print where to look.

Ctrl-C stops the API, the indexer and the local chain (whose state is kept, so the next
`make demo` resumes the same market).
"""

from __future__ import annotations

import threading

import uvicorn
from rich.console import Console

from api.main import create_app
from api.qr import qr_text
from api.services import build_services
from api.settings import ApiSettings
from ledger import demo as scenario
from ledger.chain.freshledger import batch_id_of, sale_id_of
from ledger.chain.node import LocalNode
from ledger.config import Settings
from ledger.digital_link import DigitalLink
from ledger.indexer.runner import build_indexer
from ledger.store.api_keys import issue_key

DEMO_PORT = 8000


def serve_demo(settings: Settings, node: LocalNode, console: Console, *, port: int | None = None) -> None:
    """Index the chain, serve the API on 127.0.0.1 and print the demo's URLs and a QR code."""
    api_settings = ApiSettings(
        rpc_url=settings.rpc_url, data_dir=settings.data_dir, api_port=port or DEMO_PORT, public_scheme="http"
    )
    indexer = build_indexer(settings, database_url=api_settings.database_url)

    def say(text: str) -> None:
        # soft_wrap: URLs and keys stay on one line whatever the terminal width, so they copy whole.
        console.print(text, soft_wrap=True)

    with console.status("indexing the market ..."):
        report = indexer.sync()
    say(f"indexed {report.events} events up to block {indexer.store.checkpoint().block_number}")
    stop = threading.Event()
    follower = threading.Thread(target=indexer.follow, kwargs={"poll_interval": 0.5, "stop": stop}, daemon=True)
    follower.start()

    services = build_services(api_settings)
    who = scenario.cast()
    for account in vars(who).values():
        services.keys.create(account.key)  # the demo's development keys, public anyway
    authority_key = issue_key(services.engine, who.authority.address, "demo authority")
    regulator_key = issue_key(services.engine, who.regulator.address, "demo regulator")

    base = f"http://{api_settings.public_host}"
    greens = batch_id_of(scenario.GREENS_GTIN, "GV-2611-01-A")
    uri = api_settings.digital_link_uri(DigitalLink(scenario.GREENS_GTIN, "GV-2611-01-A", "1"))
    berries = batch_id_of(scenario.STRAWBERRY_GTIN, "SB-2611-07-A")
    recalled = api_settings.digital_link_uri(DigitalLink(scenario.STRAWBERRY_GTIN, "SB-2611-07-A", "1"))
    console.print(qr_text(uri))
    say(f"A sale's GS1 Digital Link (the QR above): {uri}")
    say(f"  its shopper page: open it in a browser; JSON: curl -H 'Accept: application/json' {uri}")
    say(f"  its label: {base}/sales/0x{sale_id_of(greens, 1).hex()}/label.png")
    say(f"A recalled sale: {recalled}")
    say(f"Stall page: {base}/stalls/{who.stall_a.address}")
    say(f"Regulator's trace: curl -H 'Authorization: Bearer {regulator_key}' {base}/batches/0x{berries.hex()}/trace")
    say(f"Search: {base}/batches?status=recalled   Participants: {base}/participants")
    say(f"OpenAPI: {base}/docs   (market authority's API key: {authority_key})")
    say("Ctrl-C stops the API, the indexer and the chain.")
    try:
        uvicorn.run(
            create_app(api_settings, services),
            host=api_settings.api_host,
            port=api_settings.api_port,
            log_level="warning",
        )
    finally:
        stop.set()
        follower.join(timeout=10)
        node.stop()
        console.print("stopped: API, indexer and chain (state kept for the next run)")
