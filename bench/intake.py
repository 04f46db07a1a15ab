"""A customs declaration file of many lines, checked and recorded end to end on the local
chain; one JSON line on stdout.

A fresh anvil (mining each transaction on arrival) with FreshLedger deployed, an importer
(a supplier, named in the file by its GLN) and a customs officer. The declaration is written
as CSV, then timed: read and bounded (``read_s``), checked against the chain as
``freshledger customs import`` does (``check_s``: the importer's registration events, the
declaration number through ``declarationLines``, every lot through batched ``eth_call``),
queued (``queue_s``: ``ledger.intake.queue_declaration`` runs every ``registerImports`` call of
``LINES_PER_CALL`` lines as an ``eth_call`` and stores them as ``declaration_part`` intents in
one transaction of the write queue's SQLite database), and recorded (``record_s``: a
submitter pool of the officer's key, as the command runs one, sends the parts in line order
and settles each mined one, until every intent is final). ``declaration_1000_lines_s`` is the
sum for the default 1,000 lines; ``gas_per_line`` is the receipts' gas over the lines.
Run from the repository root: ``.venv/bin/python bench/intake.py [--lines 1000]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.gs1 import make_gtin
from ledger.intake import DECLARATION, check_declaration, queue_declaration, read_table, recorded_file
from ledger.intake.chain_state import ChainState
from ledger.intake.payloads import LINES_PER_CALL
from ledger.intents.local import submit_and_wait
from ledger.store.db import make_engine, migrate

IMPORTER_GLN = "6901234000047"
GTINS = [make_gtin(f"088500000{n:04d}") for n in range(1, 21)]


def declaration_csv(lines: int) -> bytes:
    rows = [
        [
            "310120261000999999",
            "CNNGB",
            "2026-11-24T09:30:00+08:00",
            IMPORTER_GLN,
            str(i),
            GTINS[i % len(GTINS)],
            f"TH-BENCH-{i:06d}",
            str(100 + i),
            "KGM",
            "TH",
            "0810600000",
            "",
        ]
        for i in range(1, lines + 1)
    ]
    text = ",".join(DECLARATION.columns) + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    return text.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        node = LocalNode(Path(folder) / "anvil", port=free_port(), persist=False)
        info = node.start()
        try:
            client = ChainClient(info.rpc_url)
            deployment = deploy(client, dev_account(0))
            ledger = FreshLedgerContract(client, deployment.address)
            importer, customs = dev_account(2), dev_account(3)
            ledger.register_participant(dev_account(0), importer.address, "SUPPLIER", "Siam Fruit", IMPORTER_GLN)
            ledger.register_participant(dev_account(0), customs.address, "CUSTOMS", "Ningbo Customs", "CN-NGB")
            data = declaration_csv(args.lines)
            engine = make_engine(f"sqlite:///{Path(folder) / 'queue.db'}")
            migrate(engine)

            started, cpu_started = time.perf_counter(), time.process_time()
            table = read_table(data, "csv")
            read_done = time.perf_counter()
            state = ChainState(ledger, deployment.deploy_block)
            checked = check_declaration(table, state)
            state.close()
            check_done = time.perf_counter()
            if not checked.ok:
                raise SystemExit(f"the bench declaration does not check: {checked.problems[:3]}")
            queued = queue_declaration(engine, ledger, customs.address, checked.value)
            queue_done = time.perf_counter()
            final = submit_and_wait(engine, ledger, customs, queued.ids)
            recorded = recorded_file(queued, {i.id: i for i in final}, ledger.abi)
            record_done, cpu_done = time.perf_counter(), time.process_time()
            if recorded is None:
                raise SystemExit("the declaration's intents are not final")
            gas = sum(int(client.receipt(tx)["gasUsed"]) for tx in recorded.transactions)
            engine.dispose()
        finally:
            node.stop()
    lines = len(recorded.batch_ids)
    total = record_done - started
    print(
        json.dumps(
            {
                f"declaration_{args.lines}_lines_s": round(total, 2),
                "read_s": round(read_done - started, 3),
                "check_s": round(check_done - read_done, 3),
                "queue_s": round(queue_done - check_done, 2),
                "record_s": round(record_done - queue_done, 2),
                "cpu_s": round(cpu_done - cpu_started, 2),
                "lines": lines,
                "transactions": len(recorded.transactions),
                "gas_per_line": round(gas / lines),
                "lines_per_s": round(lines / total, 1),
                "file_bytes": len(data),
                "recording": (
                    f"write queue: declaration_part intents of {LINES_PER_CALL} lines (registerImports), "
                    "every one run as an eth_call first, sent in line order by a submitter"
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
