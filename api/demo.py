"""``freshledger demo``, serving stage: follow the chain, serve the API, print where to look.

The indexer follows the chain in a thread and uvicorn serves in another, so the main thread
only waits: Ctrl-C (or SIGTERM, see ``ledger.demo.run``) there stops the API, then the
indexer, then the local chain (whose state is kept, so the next ``make demo`` resumes the
same market).
"""

from __future__ import annotations

import faulthandler
import threading
import time

import uvicorn
from fastapi import FastAPI
from rich.console import Console
from starlette.routing import Match

from api.main import create_app
from api.receipts import with_proof
from api.services import build_services
from api.settings import ApiSettings
from ledger.chain.freshledger import sale_id_of
from ledger.demo import market
from ledger.demo.people import DEMO_PASSWORD, DemoPerson, add_demo_people
from ledger.demo.run import DemoMarket, DemoProgress, print_summary
from ledger.demo.scales import DemoScales
from ledger.demo.scenario import lot_id
from ledger.digital_link import DigitalLink
from ledger.hexes import to_hex
from ledger.notify import Notifier
from ledger.qr import qr_text
from ledger.store.api_keys import issue_key

DEMO_PORT = 8000
#: The indexer's poll while serving: a new sale shows on its page within about this long.
FOLLOW_POLL_S = 0.2
#: How long uvicorn may take to bind its socket before the demo gives up.
START_TIMEOUT_S = 30.0
#: The orderly stop's joins take at most about 40 s; past this a stop that hangs prints every
#: thread's stack and ends the process instead of waiting for ever.
STOP_TIMEOUT_S = 50.0


def serve_demo(demo: DemoMarket, progress: DemoProgress, console: Console, *, port: int | None = None) -> None:
    """Serve the indexed market on 127.0.0.1 until Ctrl-C, after printing its URLs and a QR."""
    settings = ApiSettings(
        rpc_url=demo.settings.rpc_url,
        data_dir=demo.settings.data_dir,
        api_port=port or DEMO_PORT,
        public_scheme="http",
    )
    stop = threading.Event()
    follower = threading.Thread(
        target=demo.indexer.follow, kwargs={"poll_interval": FOLLOW_POLL_S, "stop": stop}, daemon=True
    )
    notifying: threading.Thread | None = None  # recall notifications to stalls' webhooks
    scales: DemoScales | None = None  # a simulated scale at each stall
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    try:
        with progress.stage("serve"):
            services = build_services(settings)
            notifier = Notifier(services.engine, box=services.webhook_box, targets=services.webhook_targets)
            notifying = threading.Thread(
                target=notifier.follow, kwargs={"poll_interval": FOLLOW_POLL_S, "stop": stop}, daemon=True
            )
            who = market.cast()
            for account in vars(who).values():
                services.keys.create(account.key)  # the demo's development keys, public anyway
            keys = {
                "market authority": issue_key(services.engine, who.authority.address, "demo authority"),
                "regulator": issue_key(services.engine, who.regulator.address, "demo regulator"),
                "Stall A12 (vendor)": issue_key(services.engine, who.stall_a.address, "demo stall A12"),
            }
            people = add_demo_people(services.engine, who)  # one workbench account per role
            app = create_app(settings, services)
            config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="warning")
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, name="api", daemon=True)
            follower.start()
            notifying.start()
            thread.start()
            _wait_started(server, thread)
            progress.note("serve", f"API on http://{settings.api_host}:{settings.api_port}")
        progress.stop()
        print_summary(console, demo)
        _print_urls(console, settings, app, keys, people)
        stalls = [who.stall_a, who.stall_b, who.stall_c]
        scales = DemoScales(
            services.engine,
            demo.ledger,
            stalls,
            settings.data_dir,
            public_host=settings.public_host or f"127.0.0.1:{settings.api_port}",
            wake=services.wake,
            console=console,
        )
        console.print(f"Scales: one at each stall, weighing; MQTT broker {scales.start()} (see README, Scales)")
        while thread.is_alive():
            thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        faulthandler.dump_traceback_later(STOP_TIMEOUT_S, exit=True)
        progress.stop()
        if scales is not None:
            scales.stop()
        if server is not None:
            server.should_exit = True
        if thread is not None and thread.is_alive():
            thread.join(timeout=10)
        stop.set()
        if follower.is_alive():
            follower.join(timeout=10)
        if notifying is not None and notifying.is_alive():
            notifying.join(timeout=10)
        demo.node.stop()
        faulthandler.cancel_dump_traceback_later()
        console.print("stopped: API, indexer and chain (state kept for the next run)")


def _print_people(console: Console, settings: ApiSettings, people: list[DemoPerson]) -> None:
    console.print(f"Workbench (phone or desk): http://{settings.public_host}/workbench", soft_wrap=True)
    for person in people:
        console.print(f"  {person.role}: {person.username} / {DEMO_PASSWORD}", soft_wrap=True)


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:  # bounded readiness poll
        if not thread.is_alive():
            raise SystemExit("the API did not start (is the port in use? try --port)")
        if time.monotonic() > deadline:
            raise SystemExit(f"the API did not start within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.02)


def _serves(app: FastAPI, path: str) -> bool:
    """Whether the app has a GET route for `path` (the demo prints only the pages the app serves)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "path_params": {}}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def _print_urls(
    console: Console, settings: ApiSettings, app: FastAPI, keys: dict[str, str], people: list[DemoPerson]
) -> None:
    def say(text: str) -> None:
        # soft_wrap: URLs and keys stay on one line whatever the terminal width, so they copy whole.
        console.print(text, soft_wrap=True)

    who = market.cast()
    base = f"http://{settings.public_host}"
    greens_lot = "GV-2611-01-A"
    uri = settings.digital_link_uri(DigitalLink(market.GREENS_GTIN, greens_lot, "1"))
    recalled = settings.digital_link_uri(DigitalLink(market.STRAWBERRY_GTIN, "SB-2611-07-A", "1"))
    durian = settings.digital_link_uri(DigitalLink(market.DURIAN_GTIN, "TH-DUR-0931-C", "1"))
    sale = to_hex(sale_id_of(lot_id(greens_lot), 1))
    recalled_lot = to_hex(lot_id(market.RECALLED_LOT))
    console.print(qr_text(uri))
    say(f"A sale's GS1 Digital Link (the QR above): {uri}")
    say(f"  its shopper page: open it in a browser (or scan the QR); JSON: curl -H 'Accept: application/json' {uri}")
    receipt = with_proof(uri, app.state.services.receipts.proof(sale))
    say(f"  as its receipt prints it (with the buyer's rating proof; opens the rating form): {receipt}")
    stall = f"curl -H 'Authorization: Bearer {keys['Stall A12 (vendor)']}'"
    label = f"{base}/sales/{sale}/label.png"
    say(f"  its receipt QR code and label (the selling stall's key): {stall} {label} -o label.png")
    say(f"A recalled sale (strawberries): {recalled}")
    say(f"An imported, lab-tested sale (durian): {durian}")
    for attribute in ("stall_a", "stall_b", "stall_c"):
        name = dict((a, n) for a, _, n, _ in market.PARTICIPANTS)[attribute]
        say(f"Stall page, {name}: {base}/stalls/{getattr(who, attribute).address}")
    if _serves(app, "/board"):
        say(f"Market board (wall screen): {base}/board")
    if _serves(app, f"/board/stalls/{who.stall_a.address}"):
        say(f"  the screen above Stall A12: {base}/board/stalls/{who.stall_a.address}")
    if _serves(app, "/kiosk"):
        say(f"Market touchscreen (kiosk, portrait 1080x1920): {base}/kiosk")
        say(f"  the floor map: {base}/board/map · notices: {base}/notices · search: {base}/market/search?q=durian")
    if _serves(app, "/market/status"):
        say(f"The market's status (stalls, origins, 30 days of arrivals and sales): {base}/market/status")
        say(f"  the same figures as CSV: {base}/market/status.csv")
    regulator = keys["regulator"]
    trace = f"curl -H 'Authorization: Bearer {regulator}' {base}/batches/{recalled_lot}/trace"
    say(f"Regulator's trace of {market.RECALLED_LOT}: {trace}")
    recalled_lots = f"curl -H 'Authorization: Bearer {regulator}' '{base}/batches?status=recalled'"
    say(f"Recalled lots (a participant's key): {recalled_lots}")
    say(f"Recall a whole lot (regulator): POST {base}/recalls/lots with gtin, lot and reason")
    say(f"  stalls get a signed notice at each URL they register: POST {base}/webhooks (vendor key)")
    if _serves(app, "/regulators/stalls"):
        overview = f"curl -H 'Authorization: Bearer {regulator}' {base}/regulators/stalls"
        say(f"Regulator's stall overview (ratings beside inspections): {overview}")
    if _serves(app, "/regulators/suspect-receipts"):
        suspects = f"curl -H 'Authorization: Bearer {regulator}' {base}/regulators/suspect-receipts"
        say(f"Receipts that look copied (scanned from many networks): {suspects}")
    say(f"Participants: {base}/participants")
    say(f"OpenAPI docs: {base}/docs")
    for holder, key in keys.items():
        say(f"  API key of the {holder}: {key}")
    _print_people(console, settings, people)
    say("Ctrl-C stops the API, the indexer and the chain.")
